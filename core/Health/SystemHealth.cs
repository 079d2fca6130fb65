using CameraService.Abstractions;
using CameraService.Core.Auth;
using CameraService.Core.Cameras;
using CameraService.Core.Plugins;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CameraService.Core.Health;

/// <summary>The whole picture: overall status (HEALTHY, DEGRADED, UNHEALTHY), each component, and the alert reasons.</summary>
internal sealed record HealthView(string Status, IReadOnlyDictionary<string, ComponentStatus> Components, IReadOnlyList<string> Alerts);

/// <summary>Where discovery stands: <c>starting</c>, <c>partial</c> or <c>ready</c>, with a message.</summary>
internal sealed record DiscoveryView(string Status, string Message);

/// <summary>
/// The one source of health for every surface (<c>get_status</c>, <c>get_system_status</c>, <c>/health*</c>,
/// <c>system_health_update</c>): the components (api, camera_sources, stream_backend, storage, plugins), the alert
/// thresholds' verdict and the overall status computed from both by one rule.
/// </summary>
internal sealed class SystemHealth(ActiveComponents components, CameraRegistry registry, PluginCatalog? plugins = null, AlertBoard? alerts = null, ApiKeyStore? apiKeys = null, TokenRevocations? revocations = null)
{
    /// <summary>The component that reports faulted or incompatible plugins.</summary>
    public const string PluginsComponent = "plugins";

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

    /// <summary>The four components plus <c>plugins</c>: what <c>/health</c> lists and <c>get_status</c> reports.</summary>
    public IReadOnlyDictionary<string, ComponentStatus> AllComponents()
    {
        var all = new Dictionary<string, ComponentStatus>(Components(), StringComparer.Ordinal) { [PluginsComponent] = Plugins() };
        return all;
    }

    /// <summary>Components, alerts and the overall status, as every surface reports them.</summary>
    public HealthView Current()
    {
        var parts = AllComponents();
        var alert = alerts?.Current ?? AlertState.Healthy;
        return new HealthView(Overall(parts, alert.Status), parts, alert.Reasons);
    }

    /// <summary>
    /// UNHEALTHY when the API does not run or a critical alert threshold is crossed; DEGRADED when any component
    /// is not running or a warning threshold is crossed; HEALTHY otherwise.
    /// </summary>
    public static string Overall(IReadOnlyDictionary<string, ComponentStatus> parts, HealthStatus alert = HealthStatus.Healthy)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (alert == HealthStatus.Unhealthy || (parts.TryGetValue("api", out var api) && api.State is ComponentState.Error or ComponentState.Stopped))
        {
            return "UNHEALTHY";
        }

        return alert == HealthStatus.Healthy && parts.Values.All(p => p.State == ComponentState.Running) ? "HEALTHY" : "DEGRADED";
    }

    /// <summary>Where discovery stands (<c>get_system_status</c>; the camera_sources component says the same).</summary>
    public DiscoveryView Discovery()
    {
        if (!registry.DiscoveryFinished)
        {
            return new DiscoveryView("starting", "Camera discovery is running.");
        }

        if (components.CameraSources.Count == 0)
        {
            return new DiscoveryView("partial", "No camera source is loaded.");
        }

        var failed = registry.FailedSources;
        if (failed.Count > 0)
        {
            return new DiscoveryView("partial", "Camera sources failed to start: " + string.Join(", ", failed) + ".");
        }

        var available = registry.Cameras.Count(c => c.Status == CameraStatus.Connected);
        return new DiscoveryView("ready", $"Discovery finished; {available} camera(s) available.");
    }

    /// <summary>Whether the service is ready (<c>/health/ready</c>): the first discovery finished and an API transport listens.</summary>
    public (bool Ready, string Reason) Readiness()
    {
        if (!registry.DiscoveryFinished)
        {
            return (false, "the first camera discovery has not finished");
        }

        var api = Api();
        return api.State == ComponentState.Running ? (true, "ready") : (false, api.Message ?? "the API is not listening");
    }

    private ComponentStatus Api()
    {
        if (components.Transports.Count == 0)
        {
            return new ComponentStatus { State = ComponentState.Stopped, Message = "No API transport is loaded." };
        }

        var states = components.Transports.Select(t => Guard(t.GetHealth)).ToList();
        var worst = Worst(states);

        // A damaged or unreadable api-keys.json / revoked-tokens.json (issue 17, hole 6): the API keeps serving with the
        // last good lists, but an operator must see that a key or revocation change is not in force. The file's path
        // stays in the log (event 1120): health may be readable by more people than the box's file system.
        var problem = (apiKeys?.CurrentProblem() is not null ? "api-keys.json" : null)
            ?? (revocations?.CurrentProblem() is not null ? "revoked-tokens.json" : null);
        if (problem is null || worst.State != ComponentState.Running)
        {
            return worst;
        }

        return new ComponentStatus
        {
            State = ComponentState.Degraded,
            Message = $"{problem} in the state directory is damaged or unreadable; the last good version stays in force until it is fixed (see the log; fix its owner/mode to the service's user).",
        };
    }

    private ComponentStatus CameraSources()
    {
        var total = components.CameraSources.Count;
        if (total == 0)
        {
            return new ComponentStatus { State = ComponentState.Stopped, Message = "No camera source is loaded." };
        }

        if (!registry.DiscoveryFinished)
        {
            return new ComponentStatus { State = ComponentState.Degraded, Message = "Camera discovery is still running." };
        }

        var failed = registry.FailedSources;
        if (failed.Count == 0)
        {
            return ComponentStatus.Running;
        }

        return new ComponentStatus
        {
            State = failed.Count == total ? ComponentState.Error : ComponentState.Degraded,
            Message = "Camera sources failed to start: " + string.Join(", ", failed),
        };
    }

    private ComponentStatus Plugins()
    {
        var bad = plugins?.Plugins.Where(p => p.State is PluginState.Faulted or PluginState.Incompatible).ToList() ?? [];
        return bad.Count == 0
            ? ComponentStatus.Running
            : new ComponentStatus { State = ComponentState.Degraded, Message = string.Join("; ", bad.Select(p => $"{p.Id} {p.State}: {p.Reason}")) };
    }

    private ComponentStatus Backend() =>
        components.StreamBackend is { } backend
            ? Guard(backend.GetHealth)
            : new ComponentStatus { State = ComponentState.Error, Message = $"No stream backend named '{components.StreamBackendName}' is loaded." };

    private ComponentStatus Storage()
    {
        if (components.MediaStore is not { } store)
        {
            return new ComponentStatus { State = ComponentState.Error, Message = $"No media store named '{components.MediaStoreName}' is loaded." };
        }

        return Guard(() =>
        {
            var status = store.GetStatus();
            return status.Level == CameraService.Abstractions.Media.StorageLevel.Critical
                ? new ComponentStatus { State = ComponentState.Degraded, Message = "Storage is above the block threshold; new recordings and snapshots are refused." }
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
            return new ComponentStatus { State = ComponentState.Error, Message = "Health check failed.", LastError = ex.GetType().Name };
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
