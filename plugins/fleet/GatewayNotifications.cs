using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CameraService.Abstractions.Api;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// Puts a node's notification into the gateway core's event hub, in the gateway's camera ids and under the contract's
/// topics, so the gateway's clients get it like a standalone service's (api-contract.md §5).
/// </summary>
internal sealed class GatewayNotifications(IdRewriter rewriter, IRpcNotificationPublisher publisher)
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    // The camera fields a camera_status_update carries (as a standalone service sends it).
    private static readonly string[] CameraStatusFields = ["device", "status", "name", "resolution", "fps", "streams", "stable_id"];

    /// <summary>Forwards a node's notification (<paramref name="parameters"/> in node-local ids; rewritten in place).</summary>
    public void Forward(FleetNodeState node, string method, JsonObject parameters)
    {
        rewriter.Rewrite(node, parameters);
        if (Topics(method, parameters["status"]?.GetValue<string>()) is not { } topics)
        {
            return;
        }

        var device = parameters["device"]?.GetValue<string>();
        publisher.Publish(topics, method, device, Encoding.UTF8.GetBytes(parameters.ToJsonString(Compact)));
    }

    /// <summary>A camera_status_update the gateway derives itself (a node lost or back), from the camera as the node reported it.</summary>
    public void CameraStatus(FleetNodeState node, JsonObject camera)
    {
        var payload = new JsonObject();
        foreach (var name in CameraStatusFields)
        {
            payload[name] = camera[name]?.DeepClone();
        }

        Forward(node, "camera_status_update", payload);
    }

    /// <summary>The contract's topics of a notification (api-contract.md §5); null for one this gateway does not know.</summary>
    private static string[]? Topics(string method, string? status) => method switch
    {
        "camera_status_update" => status switch
        {
            "CONNECTED" => ["camera.connected"],
            "DISCONNECTED" => ["camera.disconnected"],
            _ => ["camera.status_change"],
        },
        "recording_status_update" => status switch
        {
            "STARTED" => ["recording.start"],
            "STOPPED" => ["recording.stop"],
            _ => ["recording.error"],
        },
        "snapshot_taken" => ["snapshot.taken"],
        "storage_status_update" => status switch
        {
            "WARNING" => ["storage.warning"],
            "CRITICAL" => ["storage.critical"],
            _ => ["storage.warning", "storage.critical"],
        },
        "system_health_update" => ["system.health"],
        "camera_controls_changed" => ["camera.controls"],
        "recording_progress" => ["recording.progress"],
        _ => null,
    };
}
