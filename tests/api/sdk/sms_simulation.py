"""A migration tool's polling loop, written with the official huaweicloudsdksms SDK, against
cloudtwin's simulated migrations on a manual clock (advanced over plain HTTP through
/_cloudtwin/clock). Prints what it saw as JSON for tests/api/sdk.rs.
"""
import json
import os
import sys

import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdksms.v3 import (
    CreateTaskRequest, PostSourceServerBody, PostTask, RegisterServerRequest, ServerDisk,
    ShowServerRequest, ShowTaskRequest, SmsClient, SourceServerByTask, UpdateTaskStatusReq,
    UpdateTaskStatusRequest,
)

URL = os.environ["CLOUDTWIN_URL"]
GIB = 1 << 30


def client():
    config = HttpConfig.get_default_config()
    config.timeout = (5, 30)
    return (SmsClient.new_builder()
            .with_credentials(BasicCredentials(os.environ["CLOUD_AK"], os.environ["CLOUD_SK"]))
            .with_endpoints([URL])
            .with_http_config(config)
            .build())


def admin(method, path, body=None):
    reply = requests.request(method, URL + path, json=body, timeout=30)
    assert reply.status_code < 300, reply.text
    return reply.json()


def advance(secs):
    admin("POST", "/_cloudtwin/clock", {"advance_secs": secs})


def new_task(sms, n, kind="MIGRATE_BLOCK", syncing=False):
    disk = ServerDisk(name="/dev/vda", partition_style="MBR", device_use="BOOT",
                      size=GIB, used_size=GIB // 2)
    source = sms.register_server(RegisterServerRequest(body=PostSourceServerBody(
        name=f"sim-{n}", ip=f"10.8.0.{n}", os_type="LINUX", os_version="Ubuntu 22.04",
        disks=[disk]))).id
    task = sms.create_task(CreateTaskRequest(body=PostTask(
        name=f"sim-task-{n}", type=kind, os_type="LINUX", syncing=syncing,
        source_server=SourceServerByTask(id=source), region_name="cn-north-4",
        region_id="cn-north-4", project_name="cn-north-4", project_id="target"))).id
    return source, task


def act(sms, task, op):
    sms.update_task_status(UpdateTaskStatusRequest(
        task_id=task, body=UpdateTaskStatusReq(operation=op)))


def poll(sms, task, until, limit=60):
    """The tool's loop: show_task, note progress, wait (advance the clock), again."""
    trace = []
    for _ in range(limit):
        t = sms.show_task(ShowTaskRequest(task_id=task))
        trace.append({"state": t.state,
                      "steps": [[s.name, s.progress] for s in (t.sub_tasks or [])],
                      "remain_seconds": t.remain_seconds, "migrate_speed": t.migrate_speed,
                      "error_json": t.error_json})
        if t.state in until:
            return trace
        advance(1)
    raise AssertionError(f"never reached {until}: {trace[-1]}")


def main():
    sms = client()
    admin("POST", "/_cloudtwin/clock", {"mode": "manual"})
    out = {}

    _, task = new_task(sms, 1)
    act(sms, task, "start")
    out["plain"] = poll(sms, task, {"MIGRATE_SUCCESS", "MIGRATE_FAIL"})

    source, task = new_task(sms, 2)
    admin("POST", f"/_cloudtwin/sms/tasks/{task}/fault",
          {"subtask": "FORMAT_DISK_LINUX_BLOCK", "error_code": "SMS.0207"})
    act(sms, task, "start")
    out["faulted"] = poll(sms, task, {"MIGRATE_SUCCESS", "MIGRATE_FAIL"})
    out["faulted_source"] = sms.show_server(ShowServerRequest(source_id=source)).state
    act(sms, task, "restart")
    out["restarted"] = poll(sms, task, {"MIGRATE_SUCCESS", "MIGRATE_FAIL"})

    _, task = new_task(sms, 3)
    act(sms, task, "start")
    advance(6)
    act(sms, task, "stop")
    out["stopped"] = poll(sms, task, {"ABORT"}, limit=5)
    act(sms, task, "start")
    out["resumed"] = poll(sms, task, {"MIGRATE_SUCCESS", "MIGRATE_FAIL"})

    _, task = new_task(sms, 4, kind="MIGRATE_FILE", syncing=True)
    act(sms, task, "start")
    out["to_sync"] = poll(sms, task, {"SYNCING"})
    act(sms, task, "start")
    out["synced"] = poll(sms, task, {"SYNC_SUCCESS", "SYNC_FAIL"})
    act(sms, task, "cutover")
    out["cut_over"] = poll(sms, task, {"MIGRATE_SUCCESS", "MIGRATE_FAIL"})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
