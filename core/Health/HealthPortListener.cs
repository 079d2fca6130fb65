using System.Net;
using CameraService.Shared.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CameraService.Core.Health;

/// <summary>
/// The optional second listener for the health endpoints (<c>Metrics:HealthPort</c>, default 0 = off), for deployments
/// that keep health checks on a port of their own (the original service used 8003). It serves exactly the
/// <c>/health*</c> endpoints of <see cref="ObservabilityEndpoints"/> — same handlers, same adapter as the API port
/// (<see cref="HttpEndpointMapper"/>), same answers — on
/// <c>Api:BindAddress</c>. A port that cannot be bound is logged; the service runs on without it.
/// </summary>
internal sealed partial class HealthPortListener(ObservabilityEndpoints endpoints, IConfiguration configuration, ILogger<HealthPortListener> logger) : IHostedService, IAsyncDisposable
{
    public const string PortKey = "Metrics:HealthPort";

    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var port = configuration.GetValue(PortKey, 0);
        if (port <= 0)
        {
            return;
        }

        var bind = configuration["Api:BindAddress"] is { Length: > 0 } b ? b : "0.0.0.0";
        if (!IPAddress.TryParse(bind, out var address))
        {
            address = IPAddress.Any;
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o => o.Listen(address, port));
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        HttpEndpointMapper.MapAll(app, [endpoints], [], logger, e => e.Pattern.StartsWith("/health", StringComparison.Ordinal));

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            _app = app;
            LogListening(logger, bind, port);
        }
        catch (IOException ex)
        {
            // Port in use or not permitted: health stays available on the API port.
            LogFailed(logger, ex, bind, port);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is { } app)
        {
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 1710, Level = LogLevel.Information, Message = "Health endpoints also listen on {Address}:{Port} (Metrics:HealthPort)")]
    private static partial void LogListening(ILogger logger, string address, int port);

    [LoggerMessage(EventId = 1711, Level = LogLevel.Error, Message = "The health port {Address}:{Port} (Metrics:HealthPort) cannot be bound; health stays on the API port")]
    private static partial void LogFailed(ILogger logger, Exception exception, string address, int port);
}
