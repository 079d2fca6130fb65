using CameraService.Abstractions;
using CameraService.Core.Plugins;
using CameraService.Core.Rpc;

namespace CameraService.Core.Methods;

/// <summary>
/// <c>get_retention_policy</c> (admin): the stored policy, so a form can show what <c>set_retention_policy</c> last
/// stored (the contract has only the setter).
/// </summary>
internal sealed class RetentionPolicyMethods(ActiveComponents components) : IRpcMethodProvider
{
    public IEnumerable<RpcMethod> GetMethods()
    {
        yield return new RpcMethod(
            "get_retention_policy",
            RpcRole.Admin,
            "The stored retention policy (what set_retention_policy last stored, or the configured default).",
            [],
            MediaJsonContext.Default.RetentionPolicyResult,
            [RpcErrorCodes.Unsupported],
            (_, _, _) =>
            {
                var store = components.MediaStore
                    ?? throw new UnsupportedFeatureException("storage", $"No media store is active (CameraService:MediaStore='{components.MediaStoreName}' is not loaded); check `camera-service plugins`.");
                var policy = store.GetRetentionPolicy();
                return ValueTask.FromResult(RpcResult.From(
                    new RetentionPolicyResult(policy.PolicyType, policy.Enabled, policy.MaxAgeDays, policy.MaxSizeGb, policy.MinFreePercent, $"Retention policy '{policy.PolicyType}' ({(policy.Enabled ? "enabled" : "disabled")})."),
                    MediaJsonContext.Default.RetentionPolicyResult));
            });
    }
}
