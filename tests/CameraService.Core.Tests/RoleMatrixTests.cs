using CameraService.Abstractions.Api;
using CameraService.Core.Rpc;

namespace CameraService.Core.Tests;

public sealed class RoleMatrixTests
{
    private static readonly string[] ExpectedMethods =
    [
        "add_external_stream", "authenticate", "cleanup_old_files", "create_api_key", "delete_recording", "delete_snapshot", "discover_external_streams",
        "get_camera_capabilities", "get_camera_controls", "get_camera_list",
        "get_camera_status", "get_external_streams", "get_metrics", "get_motion_detection", "get_recording_info", "get_recording_schedule", "get_recording_status", "get_retention_policy", "get_server_info", "get_snapshot_info",
        "get_status", "get_storage_info", "get_stream_status", "get_stream_url", "get_streams", "get_subscription_stats",
        "get_system_status", "list_api_keys", "list_motion_detection", "list_recording_schedules", "list_recordings", "list_snapshots", "ping", "remove_external_stream", "reset_camera_controls", "revoke_api_key", "rpc.discover",
        "set_camera_controls", "set_camera_format", "set_discovery_interval", "set_motion_detection", "set_recording_schedule", "set_retention_policy", "start_recording",
        "start_streaming", "stop_recording", "stop_streaming", "subscribe_events", "take_snapshot", "unsubscribe_events",
    ];

    [Fact]
    public async Task MethodTable_ContainsEveryContractMethod()
    {
        await using var core = new CoreHarness();

        Assert.Equal(ExpectedMethods, core.Methods.Methods.Select(m => m.Name));
    }

    /// <summary>Every registered method × every role, generated from the method table.</summary>
    [Fact]
    public async Task Call_EveryMethodEveryRole_EnforcesMinimumRole()
    {
        await using var core = new CoreHarness();
        await core.StartAsync();
        var failures = new List<string>();
        RpcRole[] roles = [RpcRole.None, RpcRole.Viewer, RpcRole.Operator, RpcRole.Admin];
        foreach (var role in roles)
        {
            var session = role == RpcRole.None ? core.Open().Session : await core.AuthenticatedAsync((ApiRole)role);
            foreach (var method in core.Methods.Methods)
            {
                var response = await CoreHarness.CallAsync(session, method.Name, "{}");
                var code = response.ErrorCode();
                var allowed = role >= method.MinRole;
                if (allowed && code is RpcErrorCodes.AuthenticationFailed or RpcErrorCodes.PermissionDenied)
                {
                    failures.Add($"{method.Name} as {role}: refused with {code}");
                }
                else if (!allowed && role == RpcRole.None && code != RpcErrorCodes.AuthenticationFailed)
                {
                    failures.Add($"{method.Name} without session: expected -32001, got {response}");
                }
                else if (!allowed && role != RpcRole.None)
                {
                    if (code != RpcErrorCodes.PermissionDenied)
                    {
                        failures.Add($"{method.Name} as {role}: expected -32002, got {response}");
                        continue;
                    }

                    var data = response.Error(RpcErrorCodes.PermissionDenied);
                    if (!string.Equals(data.Str("required_role"), method.MinRole.ToString(), StringComparison.OrdinalIgnoreCase)
                        || !string.Equals(data.Str("role"), role.ToString(), StringComparison.OrdinalIgnoreCase))
                    {
                        failures.Add($"{method.Name} as {role}: wrong data {data}");
                    }
                }
            }
        }

        Assert.Empty(failures);
    }
}
