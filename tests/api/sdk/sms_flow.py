"""Drives cloudtwin with the official huaweicloudsdksms SDK and prints what happened as JSON.

Run by tests/api/sdk.rs with CLOUDTWIN_URL, CLOUD_AK, CLOUD_SK (and a user without
permissions as LIMITED_AK/LIMITED_SK) in the environment, HOME pointed at a scratch dir.
"""
import json
import os
import sys
import time

import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdksms.v3 import (
    CreateTaskRequest, DeleteTaskRequest, DeleteTasksReq, DeleteTasksRequest, ListTasksRequest,
    PostSourceServerBody, PostTask, RegisterServerRequest, ShowTaskRequest, SmsClient,
    SourceServerByTask, UpdateTaskStatusReq, UpdateTaskStatusRequest,
)

URL = os.environ["CLOUDTWIN_URL"]

# Tampering happens after the SDK has signed, just before the bytes leave.
TAMPER = {"mode": None}
_send = requests.Session.send


def _tampering_send(self, prep, **kwargs):
    mode = TAMPER["mode"]
    if mode == "body":
        body = prep.body if isinstance(prep.body, bytes) else prep.body.encode()
        prep.body = body.replace(b'"ids": ["', b'"ids": ["z')
        prep.headers["Content-Length"] = str(len(prep.body))
    elif mode == "query":
        prep.url = prep.url.replace("limit=10", "limit=11")
    elif mode == "path":
        prep.url = prep.url.rstrip("/") + "x"
    elif mode == "header":
        prep.headers["User-Agent"] = prep.headers["User-Agent"] + " tampered"
    return _send(self, prep, **kwargs)


requests.Session.send = _tampering_send


def client(ak, sk):
    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True
    config.timeout = (5, 30)
    return (SmsClient.new_builder()
            .with_credentials(BasicCredentials(ak, sk))
            .with_endpoints([URL])
            .with_http_config(config)
            .build())


def failure(call):
    try:
        call()
    except exceptions.ClientRequestException as e:
        return {"status": e.status_code, "error_code": e.error_code, "error_msg": e.error_msg,
                "request_id": e.request_id, "encoded_auth_msg": e.encoded_auth_msg}
    return {"status": "no error"}


def main():
    out = {}
    sms = client(os.environ["CLOUD_AK"], os.environ["CLOUD_SK"])
    source = sms.register_server(RegisterServerRequest(body=PostSourceServerBody(
        name="sdk-host", ip="172.16.0.10", os_type="LINUX", os_version="Ubuntu 22.04",
        cpu_quantity=4, memory=8192)))
    out["source_id"] = source.id
    task = sms.create_task(CreateTaskRequest(body=PostTask(
        name="sdk-task", type="MIGRATE_BLOCK", start_target_server=True, os_type="LINUX",
        source_server=SourceServerByTask(id=source.id), region_name="cn-north-4",
        region_id="cn-north-4", project_name="cn-north-4", project_id="target")))
    out["task_id"] = task.id
    sms.update_task_status(UpdateTaskStatusRequest(
        task_id=task.id, body=UpdateTaskStatusReq(operation="start")))
    out["after_start"] = sms.show_task(ShowTaskRequest(task_id=task.id)).state
    delete = lambda: sms.delete_tasks(DeleteTasksRequest(body=DeleteTasksReq(ids=[task.id])))
    out["refused"] = failure(delete)
    sms.update_task_status(UpdateTaskStatusRequest(
        task_id=task.id, body=UpdateTaskStatusReq(operation="stop")))
    # The documented example: stop, poll until paused (ABORTING → ABORT), then delete.
    out["stopping"] = sms.show_task(ShowTaskRequest(task_id=task.id)).state
    deadline = time.monotonic() + 10
    while sms.show_task(ShowTaskRequest(task_id=task.id)).state != "ABORT":
        assert time.monotonic() < deadline, "the stop never completed"
        time.sleep(0.1)
    listed = sms.list_tasks(ListTasksRequest(limit=10, offset=0))
    out["listed"] = {"count": listed.count, "states": [t.state for t in listed.tasks]}

    for mode in ["body", "query", "path", "header"]:
        TAMPER["mode"] = mode
        if mode == "query":
            call = lambda: sms.list_tasks(ListTasksRequest(limit=10))
        elif mode == "path":
            call = lambda: sms.show_task(ShowTaskRequest(task_id=task.id))
        else:
            call = delete
        out["tampered_" + mode] = failure(call)
    TAMPER["mode"] = None

    limited = client(os.environ["LIMITED_AK"], os.environ["LIMITED_SK"])
    out["forbidden"] = failure(
        lambda: limited.delete_tasks(DeleteTasksRequest(body=DeleteTasksReq(ids=[task.id]))))
    out["wrong_secret"] = failure(
        lambda: client(os.environ["CLOUD_AK"], "not-the-secret").list_tasks(ListTasksRequest()))

    delete()
    out["after_delete"] = sms.list_tasks(ListTasksRequest()).count
    out["unknown"] = failure(lambda: sms.delete_task(DeleteTaskRequest(task_id=task.id)))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
