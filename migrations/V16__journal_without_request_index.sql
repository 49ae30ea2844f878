-- journal: the index on request_id made every appended row a random insert into a
-- B-tree (and every trimmed one a random delete); under tens of thousands of requests a
-- second the writer fell behind and entries were dropped. Without it appends and trims
-- touch only the ends of the table; a lookup by request id scans at most
-- journal.max_rows rows (milliseconds).
DROP INDEX journal_by_request;
