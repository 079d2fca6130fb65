using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CameraService.Abstractions.Api;

namespace CameraService.Plugins.Fleet;

/// <summary>The answers the gateway's router writes itself, and the camera scope of the calling client.</summary>
internal static class GatewayReplies
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    public static RoutedRpcResponse Result(JsonNode? result) =>
        RoutedRpcResponse.FromResult(Encoding.UTF8.GetBytes(result?.ToJsonString(Compact) ?? "null"));

    public static RoutedRpcResponse Error(int code, JsonObject? data) =>
        RoutedRpcResponse.FromError(code == 0 ? RpcReplies.DependencyFailed : code, data is null ? default : Encoding.UTF8.GetBytes(data.ToJsonString(Compact)));

    /// <summary>A node's error answer as the gateway's.</summary>
    public static RoutedRpcResponse Error(NodeAnswer answer) => Error(answer.ErrorCode, answer.ErrorData);

    public static RoutedRpcResponse NoNodes() =>
        Error(RpcReplies.DependencyFailed, new JsonObject { ["dependency"] = "fleet nodes", ["detail"] = "no fleet node is answering" });

    public static RoutedRpcResponse CameraNotAllowed(string device) =>
        Error(RpcReplies.PermissionDenied, new JsonObject { ["reason"] = "camera_not_allowed", ["device"] = device });

    /// <summary>Whether the caller may see <paramref name="device"/> (a camera-scoped API key names its cameras).</summary>
    public static bool Allowed(RoutedRpcCall request, string device) =>
        request.Cameras is null || request.Cameras.Contains(device, StringComparer.Ordinal);
}
