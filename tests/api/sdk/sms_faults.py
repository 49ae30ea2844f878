"""What the official huaweicloudsdksms SDK sees when cloudtwin's HTTP fault rules fire:
an injected 5xx, a reset connection, an answer lost after the commit; and what the
journal kept of its calls. Prints JSON for tests/api/sdk.rs.
"""
import json
import os
import sys

import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdksms.v3 import (
    CreateTaskRequest, DeleteTasksReq, DeleteTasksRequest, ListServersRequest, ListTasksRequest,
    PostSourceServerBody, PostTask, RegisterServerRequest, SmsClient, SourceServerByTask,
)

URL = os.environ["CLOUDTWIN_URL"]


def client():
    config = HttpConfig.get_default_config()
    config.timeout = (5, 30)
    return (SmsClient.new_builder()
            .with_credentials(BasicCredentials(os.environ["CLOUD_AK"], os.environ["CLOUD_SK"]))
            .with_endpoints([URL])
            .with_http_config(config)
            .build())


def rule(body):
    reply = requests.post(URL + "/_cloudtwin/faults", json=body, timeout=30)
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def outcome(call):
    try:
        call()
        return {"raised": None}
    except Exception as e:  # the point is to see what the SDK raises
        return {"raised": type(e).__name__,
                "status": getattr(e, "status_code", None),
                "error_code": getattr(e, "error_code", None),
                "error_msg": getattr(e, "error_msg", None),
                "text": str(e)[:300]}


def main():
    sms = client()
    out = {}
    r503 = rule({"method": "GET", "path": "/v3/tasks", "status": 503,
                 "error_code": "SMS.2007", "error_msg": "injected", "times": 1})
    out["injected_503"] = outcome(lambda: sms.list_tasks(ListTasksRequest()))
    reset = rule({"method": "GET", "path": "/v3/tasks", "action": "reset", "times": 1})
    out["reset"] = outcome(lambda: sms.list_tasks(ListTasksRequest()))
    lost = rule({"method": "POST", "path": "/v3/sources", "status": 502, "when": "after",
                 "times": 1})
    out["lost_answer"] = outcome(lambda: sms.register_server(RegisterServerRequest(
        body=PostSourceServerBody(name="sdk-f", ip="10.3.0.1", os_type="LINUX",
                                  os_version="Ubuntu 22.04"))))
    out["servers_after_lost_answer"] = sms.list_servers(ListServersRequest()).count
    out["after_faults"] = outcome(lambda: sms.list_tasks(ListTasksRequest()))
    fired = requests.get(URL + "/_cloudtwin/faults", timeout=30).json()["faults"]
    out["fired"] = {f["id"]: f["fired"] for f in fired}
    out["rules"] = {"r503": r503, "reset": reset, "lost": lost}

    source = sms.list_servers(ListServersRequest()).source_servers[0].id
    task = sms.create_task(CreateTaskRequest(body=PostTask(
        name="sdk-f-task", type="MIGRATE_BLOCK", os_type="LINUX",
        source_server=SourceServerByTask(id=source), region_name="cn-north-4",
        region_id="cn-north-4", project_name="cn-north-4", project_id="target"))).id
    sms.delete_tasks(DeleteTasksRequest(body=DeleteTasksReq(ids=[task])))
    journal = requests.get(URL + "/_cloudtwin/journal?path=/v3/tasks/delete", timeout=30).json()
    out["journal_delete"] = journal["entries"][0]
    out["task"] = task
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
