using CameraService.Abstractions;
using CameraService.Core.Cameras;
using CameraService.Core.Plugins;

namespace CameraService.Core.Hosting;

/// <summary>
/// The health of the service's components (api, camera_sources, stream_backend, storage) and the overall
/// status, for <c>get_status</c> and the health endpoints.
/// </summary>
internal sealed class SystemHealth(ActiveComponents components, CameraRegistry registry)
{
    public static string Wire(ComponentState state) => state switch
    {
        ComponentState.Running => "RUNNING",
        ComponentState.Degraded => "DEGRADED",
        ComponentState.Error => "ERROR",
        _ => "STOPPED",
    };

    /// <summary>Each component's state.</summary>
    public IReadOnlyDictionary<string, ComponentStatus> Components()
    {
        return new Dictionary<string, ComponentStatus>(StringComparer.Ordinal)
        {
            ["api"] = Api(),
            ["camera_sources"] = CameraSources(),
            ["stream_backend"] = Backend(),
            ["storage"] = Storage(),
        };
    }

    /// <summary>HEALTHY when everything runs, UNHEALTHY when the API does not, DEGRADED otherwise.</summary>
    public static string Overall(IReadOnlyDictionary<string, ComponentStatus> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.TryGetValue("api", out var api) && api.State is ComponentState.Error or ComponentState.Stopped)
        {
            return "UNHEALTHY";
        }

        return parts.Values.All(p => p.State == ComponentState.Running) ? "HEALTHY" : "DEGRADED";
    }

    private ComponentStatus Api()
    {
        if (components.Transports.Count == 0)
        {
            return new ComponentStatus(ComponentState.Stopped, "No API transport is loaded.");
        }

        var states = components.Transports.Select(t => Guard(t.GetHealth)).ToList();
        return Worst(states);
    }

    private ComponentStatus CameraSources()
    {
        var total = components.CameraSources.Count;
        if (total == 0)
        {
            return new ComponentStatus(ComponentState.Stopped, "No camera source is loaded.");
        }

        if (!registry.DiscoveryFinished)
        {
            return new ComponentStatus(ComponentState.Degraded, "Camera discovery is still running.");
        }

        var failed = registry.FailedSources;
        if (failed.Count == 0)
        {
            return ComponentStatus.Running;
        }

        return new ComponentStatus(
            failed.Count == total ? ComponentState.Error : ComponentState.Degraded,
            "Camera sources failed to start: " + string.Join(", ", failed));
    }

    private ComponentStatus Backend() =>
        components.StreamBackend is { } backend
            ? Guard(backend.GetHealth)
            : new ComponentStatus(ComponentState.Error, $"No stream backend named '{components.StreamBackendName}' is loaded.");

    private ComponentStatus Storage()
    {
        if (components.MediaStore is not { } store)
        {
            return new ComponentStatus(ComponentState.Error, $"No media store named '{components.MediaStoreName}' is loaded.");
        }

        return Guard(() =>
        {
            var status = store.GetStatus();
            return status.Level == CameraService.Abstractions.Media.StorageLevel.Critical
                ? new ComponentStatus(ComponentState.Degraded, "Storage is above the block threshold; new recordings and snapshots are refused.")
                : ComponentStatus.Running;
        });
    }

    private static ComponentStatus Guard(Func<ComponentStatus> health)
    {
        try
        {
            return health();
        }
        catch (Exception ex) // a component whose health check throws is reported as failed, not propagated
        {
            return new ComponentStatus(ComponentState.Error, "Health check failed.", ex.GetType().Name);
        }
    }

    private static ComponentStatus Worst(List<ComponentStatus> states) =>
        states.OrderByDescending(s => s.State switch
        {
            ComponentState.Error => 3,
            ComponentState.Stopped => 2,
            ComponentState.Degraded => 1,
            _ => 0,
        }).First();
}
