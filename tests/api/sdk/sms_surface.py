"""Drives every SmsClient operation cloudtwin serves with the official SDK, and checks
each JSON answer against the fields the SDK's response model declares.

Run by tests/api/sdk.rs (CLOUDTWIN_URL, CLOUD_AK, CLOUD_SK, HOME). Prints JSON:
  all_ops        every operation of SmsClient, found by introspection
  called         the operations this script exercised
  missing_fields {operation: [json paths the answer lacks]}
  checks         facts the Rust test asserts
"""
import inspect
import json
import os
import re
import sys

import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
import huaweicloudsdksms.v3 as V3
import huaweicloudsdksms.v3.model as M
from huaweicloudsdksms.v3 import SmsClient

URL = os.environ["CLOUDTWIN_URL"]
PRIMITIVES = {"str", "int", "long", "float", "bool", "date", "datetime", "object"}


def all_ops():
    return sorted(n for n, v in SmsClient.__dict__.items()
                  if inspect.isfunction(v) and not n.startswith("_")
                  and hasattr(SmsClient, "_%s_http_info" % n))


# The raw JSON of the last answer, captured below the SDK.
LAST = {"json": None}
_send = requests.Session.send


def _capturing_send(self, prep, **kwargs):
    res = _send(self, prep, **kwargs)
    try:
        LAST["json"] = res.json()
    except ValueError:
        LAST["json"] = None
    return res


requests.Session.send = _capturing_send


def inner(type_str):
    t = type_str
    while True:
        m = re.fullmatch(r"list\[(.*)\]", t) or re.fullmatch(r"dict\([^,]*, (.*)\)", t)
        if not m:
            break
        t = m.group(1)
    return None if t in PRIMITIVES or not hasattr(M, t) else getattr(M, t)


def missing(cls, value, path=""):
    """JSON paths a model declares that the value lacks (lists: every element)."""
    out = []
    if not isinstance(value, dict):
        return out
    for attr, typ in cls.openapi_types.items():
        key = cls.attribute_map[attr]
        here = path + key
        if key not in value:
            out.append(here)
            continue
        sub = inner(typ)
        if sub is None or value[key] is None:
            continue
        if typ.startswith("list["):
            for item in value[key]:
                out += missing(sub, item, here + "[].")
        elif typ.startswith("dict("):
            continue
        else:
            out += missing(sub, value[key], here + ".")
    return sorted(set(out))


CALLED = []
MISSING = {}


def call(client, op, request):
    CALLED.append(op)
    response = getattr(client, op)(request)
    response_cls = getattr(V3, type(request).__name__[:-len("Request")] + "Response")
    if set(response_cls.openapi_types) - {"body"}:
        gaps = missing(response_cls, LAST["json"])
        if gaps:
            MISSING[op] = gaps
    return response


def main():
    config = HttpConfig.get_default_config()
    config.timeout = (5, 30)
    sms = (SmsClient.new_builder()
           .with_credentials(BasicCredentials(os.environ["CLOUD_AK"], os.environ["CLOUD_SK"]))
           .with_endpoints([URL]).with_http_config(config).build())
    checks = {}

    versions = call(sms, "list_api_version", V3.ListApiVersionRequest())
    checks["versions"] = [v.id for v in versions.versions]
    checks["v3_status"] = call(sms, "show_api_version", V3.ShowApiVersionRequest(version="v3")).status
    checks["config_region"] = call(sms, "show_config", V3.ShowConfigRequest()).config.get("mainRegion")
    checks["privacy_before"] = call(sms, "show_privacy_agreements", V3.ShowPrivacyAgreementsRequest()).flag
    call(sms, "create_privacy_agreements", V3.CreatePrivacyAgreementsRequest())
    checks["privacy_after"] = call(sms, "show_privacy_agreements", V3.ShowPrivacyAgreementsRequest()).flag

    project = call(sms, "create_migproject", V3.CreateMigprojectRequest(body=V3.PostMigProjectBody(
        name="sdk-wave", region="cn-north-4", type="MIGRATE_BLOCK", speed_limit=50))).id
    listed = call(sms, "list_migprojects", V3.ListMigprojectsRequest(limit=10, offset=0))
    checks["migprojects"] = sorted(m.name for m in listed.migprojects)
    call(sms, "update_migproject", V3.UpdateMigprojectRequest(
        mig_project_id=project, body=V3.MigProject(description="from the SDK")))
    call(sms, "update_default_migproject", V3.UpdateDefaultMigprojectRequest(mig_project_id=project))
    shown = call(sms, "show_migproject", V3.ShowMigprojectRequest(mig_project_id=project))
    checks["migproject"] = {"isdefault": shown.isdefault, "description": shown.description,
                            "speed_limit": shown.speed_limit}

    template = V3.TemplateRequest(
        name="sdk-template", is_template=True, region="cn-north-4", projectid="p",
        target_server_name="target", availability_zone="cn-north-4a", volumetype="SAS",
        flavor="s6.large.2", vpc=V3.VpcObject(id="autoCreate", name="vpc", cidr="192.168.0.0/16"),
        nics=[V3.Nics(id="autoCreate", name="subnet", cidr="192.168.0.0/24")],
        security_groups=[V3.SgObject(id="autoCreate", name="sg")],
        publicip=V3.PublicIp(type="5_bgp", bandwidth_size=5),
        disk=[V3.TemplateDisk(index=0, name="system", disktype="SAS", size=40)],
        data_volume_type="SAS", target_password="pw-from-sdk")
    template_id = call(sms, "create_template", V3.CreateTemplateRequest(
        body=V3.CreateTemplateReq(template=template))).id
    call(sms, "update_template", V3.UpdateTemplateRequest(id=template_id, body=V3.UpdateTemplateReq(
        template=V3.TemplateRequest(name="sdk-template", flavor="s6.xlarge.2"))))
    checks["template_flavor"] = call(sms, "show_template", V3.ShowTemplateRequest(id=template_id)).template.flavor
    checks["templates"] = call(sms, "list_templates", V3.ListTemplatesRequest(limit=10)).count
    checks["target_password"] = call(sms, "show_target_password",
                                     V3.ShowTargetPasswordRequest(id=template_id)).target_password
    second = call(sms, "create_template", V3.CreateTemplateRequest(
        body=V3.CreateTemplateReq(template=V3.TemplateRequest(name="sdk-template-2")))).id

    source = call(sms, "register_server", V3.RegisterServerRequest(body=V3.PostSourceServerBody(
        name="sdk-host", ip="172.16.0.10", os_type="LINUX", os_version="Ubuntu 22.04",
        cpu_quantity=4, memory=8192))).id
    call(sms, "show_server", V3.ShowServerRequest(source_id=source))
    call(sms, "list_servers", V3.ListServersRequest(limit=10))
    call(sms, "update_server_name", V3.UpdateServerNameRequest(
        source_id=source, body=V3.PutSourceServerBody(name="sdk_host_2")))
    checks["overview_waiting"] = call(sms, "show_overview", V3.ShowOverviewRequest()).waiting
    checks["errors"] = call(sms, "list_error_servers", V3.ListErrorServersRequest(limit=10, offset=0)).count

    task = call(sms, "create_task", V3.CreateTaskRequest(body=V3.PostTask(
        name="sdk-task", type="MIGRATE_BLOCK", os_type="LINUX", vm_template_id=template_id,
        source_server=V3.SourceServerByTask(id=source)))).id
    shown = call(sms, "show_task", V3.ShowTaskRequest(task_id=task))
    checks["task_template"] = shown.vm_template_id
    call(sms, "list_tasks", V3.ListTasksRequest(limit=10))
    call(sms, "update_task", V3.UpdateTaskRequest(task_id=task, body=V3.PutTaskReq(name="sdk-task-2")))
    call(sms, "update_task_status", V3.UpdateTaskStatusRequest(
        task_id=task, body=V3.UpdateTaskStatusReq(operation="start")))
    # Playing the agent.
    call(sms, "update_task_speed", V3.UpdateTaskSpeedRequest(task_id=task, body=V3.UpdateTaskSpeedReq(
        subtask_name="CREATE_CLOUD_SERVER", progress=100, replicatesize=0, totalsize=42949672960,
        process_trace="created", migrate_speed=0.0, remain_time=600)))
    call(sms, "update_task_speed", V3.UpdateTaskSpeedRequest(task_id=task, body=V3.UpdateTaskSpeedReq(
        subtask_name="MIGRATE_LINUX_BLOCK", progress=40, replicatesize=17179869184,
        totalsize=42949672960, process_trace="copying", migrate_speed=95.5, remain_time=300,
        total_cpu_usage=12.5)))
    progressed = call(sms, "show_task", V3.ShowTaskRequest(task_id=task))
    checks["sub_tasks"] = [(t.name, t.progress) for t in progressed.sub_tasks]
    checks["migrate_speed"] = progressed.migrate_speed
    checks["command_running"] = call(sms, "show_command", V3.ShowCommandRequest(server_id=source)).command_name
    call(sms, "collect_log", V3.CollectLogRequest(task_id=task, body=V3.UploadLogRequestBody(log_bucket="logs")))
    checks["command_log"] = call(sms, "show_command", V3.ShowCommandRequest(server_id=source)).command_name
    call(sms, "update_command_result", V3.UpdateCommandResultRequest(server_id=source, body=V3.CommandBody(
        command_name="UPLOAD_LOG", result="success", result_detail={"object": "logs/agent.zip"})))
    checks["command_after_log"] = call(sms, "show_command", V3.ShowCommandRequest(server_id=source)).command_name
    call(sms, "update_copy_state", V3.UpdateCopyStateRequest(source_id=source, body=V3.PutCopyStateReq(
        copystate="REPLICATE", migrationcycle="replicating")))
    call(sms, "update_disk_info", V3.UpdateDiskInfoRequest(source_id=source, body=V3.PutDiskInfoReq(
        disks=[V3.ServerDisk(name="/dev/vda", partition_style="MBR", device_use="OS", size=42949672960,
                             used_size=1073741824)])))
    call(sms, "update_speed", V3.UpdateSpeedRequest(task_id=task, body=V3.SpeedLimit(speed_limit=[
        V3.SpeedLimitlJson(start="0:00", end="8:00", speed=100, over_speed_threshold=20.0)])))
    windows = call(sms, "shows_speed_limits", V3.ShowsSpeedLimitsRequest(task_id=task)).speed_limit
    checks["speed_limits"] = [(w.start, w.end, w.speed) for w in windows]
    first = call(sms, "show_passphrase", V3.ShowPassphraseRequest(task_id=task)).passphrase
    checks["passphrase_stable"] = first == call(
        sms, "show_passphrase", V3.ShowPassphraseRequest(task_id=task)).passphrase
    checks["cert_pem"] = call(sms, "show_cert_key", V3.ShowCertKeyRequest(
        task_id=task, enable_ca_cert=True)).cert.startswith("-----BEGIN CERTIFICATE-----")
    call(sms, "upload_special_configuration_setting", V3.UploadSpecialConfigurationSettingRequest(
        task_id=task, body=V3.ConfigurationRequestBody(configurations=[
            V3.ConfigBody(config_key="MIGRATE_EXCLUDE_DIR", config_value="/tmp")])))
    settings = call(sms, "show_config_setting", V3.ShowConfigSettingRequest(task_id=task))
    checks["config_settings"] = [settings.migrate_type] + [
        (c.config_key, c.config_value) for c in settings.configurations]
    call(sms, "update_consistency_result", V3.UpdateConsistencyResultRequest(
        task_id=task, body=V3.SetConsistencyResultRequestBody(consistency_result=[
            V3.ConsistencyResult(dir_check="/etc", num_total_files=10, num_different_files=0,
                                 num_target_miss_files=0, num_target_more_files=0)])))
    checks["consistency"] = len(call(sms, "show_consistency_result",
                                     V3.ShowConsistencyResultRequest(task_id=task)).result_list)
    exported = call(sms, "export_consistency_results", V3.ExportConsistencyResultsRequest(
        body=V3.BatchGetConsistencyResultReq(task_info=[V3.BatchConsistencyReq(task_id=task)])))
    chunks = []
    exported.consume_download_stream(lambda stream: chunks.append(stream.content))
    checks["export_has_etc"] = b"/etc" in b"".join(chunks)
    checks["network_check"] = call(sms, "update_network_check_info", V3.UpdateNetworkCheckInfoRequest(
        task_id=task, body=V3.NetworkCheckInfoRequestBody(
            network_delay=1.5, network_jitter=0.5, migration_speed=100.0, loss_percentage=0.0,
            cpu_usage=10.0, mem_usage=20.0, evaluation_result="GOOD"))).task_id == task
    call(sms, "update_task_status", V3.UpdateTaskStatusRequest(
        task_id=task, body=V3.UpdateTaskStatusReq(operation="stop")))
    call(sms, "delete_task", V3.DeleteTaskRequest(task_id=task))
    other = call(sms, "register_server", V3.RegisterServerRequest(body=V3.PostSourceServerBody(
        name="sdk-other", ip="172.16.0.11", os_type="LINUX", os_version="Ubuntu 22.04"))).id
    other_task = call(sms, "create_task", V3.CreateTaskRequest(body=V3.PostTask(
        name="sdk-task-3", type="MIGRATE_BLOCK", os_type="LINUX",
        source_server=V3.SourceServerByTask(id=other)))).id
    call(sms, "delete_tasks", V3.DeleteTasksRequest(body=V3.DeleteTasksReq(ids=[other_task])))
    call(sms, "delete_server", V3.DeleteServerRequest(source_id=other))
    call(sms, "delete_servers", V3.DeleteServersRequest(body=V3.DeleteIds(ids=[source])))

    call(sms, "delete_template", V3.DeleteTemplateRequest(id=second))
    call(sms, "delete_templates", V3.DeleteTemplatesRequest(body=V3.DeletetemplatesReq(ids=[template_id])))
    checks["templates_after"] = call(sms, "list_templates", V3.ListTemplatesRequest()).count
    listed = call(sms, "list_migprojects", V3.ListMigprojectsRequest())
    system = [m.id for m in listed.migprojects if m.name == "SystemProject"][0]
    call(sms, "update_default_migproject", V3.UpdateDefaultMigprojectRequest(mig_project_id=system))
    call(sms, "delete_migproject", V3.DeleteMigprojectRequest(mig_project_id=project))
    checks["migprojects_after"] = call(sms, "list_migprojects", V3.ListMigprojectsRequest()).count

    json.dump({"all_ops": all_ops(), "called": sorted(set(CALLED)), "missing_fields": MISSING,
               "checks": checks}, sys.stdout)


if __name__ == "__main__":
    main()
