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
            CoreJsonContext.Default.PingReply,
            [],
            (_, _, _) => ValueTask.FromResult(RpcResult.Pong));

        yield return new RpcMethod(
            "authenticate",
            RpcRole.None,
            "Authenticates the session with a JWT (HS256) or an API key (csk_…). A new credential replaces the session's role.",
            [new RpcParam("auth_token", RpcParamType.String, "A JWT or an API key.", Required: true) { MaxLength = 8192 }],
            CoreJsonContext.Default.AuthenticateResult,
            [RpcErrorCodes.AuthenticationFailed],
            AuthenticateAsync);

        yield return new RpcMethod(
            "get_server_info",
            RpcRole.Viewer,
            "Server name, version, runtime, capabilities and loaded plugins.",
            [],
            CoreJsonContext.Default.ServerInfoResult,
            [],
            (_, _, _) => ValueTask.FromResult(RpcResult.From(ServerInfo(), CoreJsonContext.Default.ServerInfoResult)));

        yield return new RpcMethod(
            "get_system_status",
            RpcRole.Viewer,
            "Whether camera discovery has finished: starting, partial (a camera source failed) or ready.",
            [],
            CoreJsonContext.Default.SystemStatusResult,
            [],
            (_, _, _) => ValueTask.FromResult(RpcResult.From(SystemStatus(), CoreJsonContext.Default.SystemStatusResult)));

        yield return new RpcMethod(
            "get_status",
            RpcRole.Admin,
            "Overall health, each component's state and the crossed alert thresholds (the same view as GET /health).",
            [],
            CoreJsonContext.Default.StatusResult,
            [],
            (_, _, _) => ValueTask.FromResult(RpcResult.From(Status(), CoreJsonContext.Default.StatusResult)));

        yield return new RpcMethod(
            "get_metrics",
            RpcRole.Admin,
            "Service metrics: api_metrics, system_metrics, camera_metrics, stream_metrics and sections added by other services.",
            [],
            CoreJsonContext.Default.MetricsResult,
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
