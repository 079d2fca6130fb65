using CameraService.Abstractions.Api;
using CameraService.Core.Rpc;

namespace CameraService.Core.Tests;

public sealed class RoleMatrixTests
{
    private static readonly string[] ExpectedMethods =
    [
        "authenticate", "get_camera_capabilities", "get_camera_list", "get_camera_status", "get_metrics", "get_server_info",
        "get_status", "get_subscription_stats", "get_system_status", "ping", "rpc.discover", "subscribe_events", "unsubscribe_events",
    ];

    [Fact]
    public async Task MethodTable_ContainsEveryContractMethodOfThisIssue()
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
