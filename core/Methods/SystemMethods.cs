using System.Runtime.InteropServices;
using CameraService.Core.Auth;
using CameraService.Core.Cameras;
using CameraService.Core.Health;
using CameraService.Core.Hosting;
using CameraService.Core.Metrics;
using CameraService.Core.Plugins;
using CameraService.Core.Rpc;
using Microsoft.Extensions.Options;

namespace CameraService.Core.Methods;

/// <summary><c>ping</c>, <c>authenticate</c>, <c>get_server_info</c>, <c>get_system_status</c>, <c>get_status</c>, <c>get_metrics</c>.</summary>
internal sealed class SystemMethods(
    IServiceProvider services,
    ServiceInfo info,
    PluginCatalog plugins,
    ActiveComponents components,
    CameraRegistry registry,
    SystemHealth health,
    IEnumerable<IMetricsSection> metricsSections,
    IOptions<ApiOptions> options,
    TimeProvider timeProvider) : IRpcMethodProvider
{
    private readonly List<IMetricsSection> _sections = metricsSections.ToList();

    public IEnumerable<RpcMethod> GetMethods()
    {
        yield return new RpcMethod(
            "ping",
            RpcRole.None,
            "Liveness check; answers \"pong\".",
            [],
            """{"type":"string","const":"pong"}""",
            [],
            (_, _, _) => ValueTask.FromResult(RpcResult.Pong));

        yield return new RpcMethod(
            "authenticate",
            RpcRole.None,
            "Authenticates the session with a JWT (HS256) or an API key (csk_…). A new credential replaces the session's role.",
            [new RpcParam("auth_token", RpcParamType.String, "A JWT or an API key.", Required: true) { MaxLength = 8192 }],
            """{"type":"object","required":["authenticated","role","permissions","expires_at","session_id"],"properties":{"authenticated":{"const":true},"role":{"enum":["viewer","operator","admin"]},"permissions":{"type":"array","items":{"type":"string"}},"expires_at":{"type":["string","null"],"format":"date-time"},"session_id":{"type":"string"}}}""",
            [RpcErrorCodes.AuthenticationFailed],
            AuthenticateAsync);

        yield return new RpcMethod(
            "get_server_info",
            RpcRole.Viewer,
            "Server name, version, runtime, capabilities and loaded plugins.",
            [],
            """{"type":"object","required":["name","version","build_date","runtime","architecture","capabilities","supported_formats","max_cameras","plugins"],"properties":{"name":{"type":"string"},"version":{"type":"string"},"build_date":{"type":"string"},"runtime":{"type":"string"},"architecture":{"type":"string"},"capabilities":{"type":"array","items":{"type":"string"}},"supported_formats":{"type":"array","items":{"type":"string"}},"max_cameras":{"type":"integer"},"plugins":{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"},"version":{"type":"string"},"status":{"enum":["LOADED","DISABLED","INCOMPATIBLE","FAULTED"]}}}}}}""",
            [],
            (_, _, _) => ValueTask.FromResult(RpcResult.From(ServerInfo(), CoreJsonContext.Default.ServerInfoResult)));

        yield return new RpcMethod(
            "get_system_status",
            RpcRole.Viewer,
            "Whether camera discovery has finished: starting, partial (a camera source failed) or ready.",
            [],
            """{"type":"object","required":["status","message","available_cameras","discovery_active"],"properties":{"status":{"enum":["starting","partial","ready"]},"message":{"type":"string"},"available_cameras":{"type":"array","items":{"type":"string"}},"discovery_active":{"type":"boolean"}}}""",
            [],
            (_, _, _) => ValueTask.FromResult(RpcResult.From(SystemStatus(), CoreJsonContext.Default.SystemStatusResult)));

        yield return new RpcMethod(
            "get_status",
            RpcRole.Admin,
            "Overall health, each component's state and the crossed alert thresholds (the same view as GET /health).",
            [],
            """{"type":"object","required":["status","uptime","version","components"],"properties":{"status":{"enum":["HEALTHY","DEGRADED","UNHEALTHY"]},"uptime":{"type":"integer","description":"seconds"},"version":{"type":"string"},"components":{"type":"object","properties":{"api":{"$ref":"#/$defs/state"},"camera_sources":{"$ref":"#/$defs/state"},"stream_backend":{"$ref":"#/$defs/state"},"storage":{"$ref":"#/$defs/state"},"plugins":{"$ref":"#/$defs/state"}}},"alerts":{"type":"array","items":{"type":"string"},"description":"why the status is DEGRADED or UNHEALTHY: the crossed alert thresholds"}},"$defs":{"state":{"enum":["RUNNING","DEGRADED","ERROR","STOPPED"]}}}""",
            [],
            (_, _, _) => ValueTask.FromResult(RpcResult.From(Status(), CoreJsonContext.Default.StatusResult)));

        yield return new RpcMethod(
            "get_metrics",
            RpcRole.Admin,
            "Service metrics: api_metrics, system_metrics, camera_metrics, stream_metrics and sections added by other services.",
            [],
            """{"type":"object","required":["timestamp","api_metrics","system_metrics"],"properties":{"timestamp":{"type":"string","format":"date-time"},"api_metrics":{"type":"object","properties":{"requests_per_second":{"type":"number"},"p50_ms":{"type":"number"},"p95_ms":{"type":"number"},"p99_ms":{"type":"number"},"error_rate":{"type":"number"},"connections":{"type":"integer"}}},"system_metrics":{"type":"object","properties":{"cpu_usage":{"type":"number"},"memory_usage":{"type":"number"},"disk_usage":{"type":"number"},"threads":{"type":"integer"}}},"camera_metrics":{"type":"object"},"stream_metrics":{"type":["object","null"]},"recording_metrics":{"type":["object","null"]}}}""",
            [],
            MetricsAsync);
    }

    private async ValueTask<RpcResult> AuthenticateAsync(RpcCallContext context, RpcParams parameters, CancellationToken cancellationToken)
    {
        // Resolved lazily: the endpoint depends on the method table, which depends on this provider.
        var endpoint = (RpcEndpoint)services.GetService(typeof(RpcEndpoint))!;
        var check = await endpoint.AuthenticateAsync(context.Session, parameters.GetRequiredString("auth_token")).ConfigureAwait(false);
        if (check.Principal is not { } principal)
        {
            throw RpcErrorException.AuthFailed(check.FailureReason ?? "invalid_token");
        }

        var result = new AuthenticateResult(
            true,
            Roles.Name(principal.Role),
            Roles.Permissions(principal.Role),
            principal.ExpiresAt is { } e ? RpcJson.Timestamp(e) : null,
            context.Session.SessionId);
        return RpcResult.From(result, CoreJsonContext.Default.AuthenticateResult);
    }

    private ServerInfoResult ServerInfo()
    {
        var capabilities = new List<string> { "json-rpc-2.0", "batch", "notifications", "openrpc", "api_keys" };
        if (components.StreamBackend is not null)
        {
            capabilities.AddRange(["streaming", "recording", "snapshots"]);
        }

        if (components.MediaStore is not null)
        {
            capabilities.AddRange(["file_management", "downloads"]);
        }

        return new ServerInfoResult(
            info.Name,
            info.Version,
            info.BuildDate,
            RuntimeInformation.FrameworkDescription,
            RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
            capabilities,
            ["fmp4", "mp4", "mkv", "jpg"],
            options.Value.MaxCameras,
            plugins.Plugins.Select(p => new PluginInfo(p.Id, p.Version, p.State.ToString().ToUpperInvariant())).ToList());
    }

    private SystemStatusResult SystemStatus()
    {
        // The same view as the camera_sources component of get_status and /health, and /health/ready.
        var available = registry.Cameras.Where(c => c.Status == CameraStatus.Connected).Select(c => c.Id).ToList();
        var discovery = health.Discovery();
        return new SystemStatusResult(discovery.Status, discovery.Message, available, discovery.Status == "starting");
    }

    private StatusResult Status()
    {
        // The same view as /health: components (plugins included), alert thresholds and one rule for the overall status.
        var view = health.Current();
        return new StatusResult(
            view.Status,
            (long)(timeProvider.GetUtcNow() - info.StartedAt).TotalSeconds,
            info.Version,
            view.Components.ToDictionary(p => p.Key, p => SystemHealth.Wire(p.Value.State), StringComparer.Ordinal),
            view.Alerts);
    }

    private async ValueTask<RpcResult> MetricsAsync(RpcCallContext context, RpcParams parameters, CancellationToken cancellationToken)
    {
        var timestamp = RpcJson.Timestamp(timeProvider.GetUtcNow());
        var sections = new List<(string Name, RpcResult Value)>(_sections.Count);
        foreach (var section in _sections)
        {
            sections.Add((section.Name, await section.CollectAsync(cancellationToken).ConfigureAwait(false)));
        }

        return RpcResult.Custom(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("timestamp"u8, timestamp);
            foreach (var (name, value) in sections)
            {
                writer.WritePropertyName(name);
                value.Write(writer);
            }

            writer.WriteEndObject();
        });
    }
}
