using System.Net;
using CameraService.Abstractions.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CameraService.Core.Observability;

/// <summary>
/// The optional second listener for the health endpoints (<c>Metrics:HealthPort</c>, default 0 = off), for deployments
/// that keep health checks on a port of their own (the original service used 8003). It serves exactly the
/// <c>/health*</c> endpoints of <see cref="ObservabilityEndpoints"/> — same handlers, same answers — on
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
        foreach (var endpoint in endpoints.Endpoints.Where(e => e.Pattern.StartsWith("/health", StringComparison.Ordinal)))
        {
            var handler = endpoint.Handler;
            app.MapMethods(endpoint.Pattern, [endpoint.Method], context => ServeAsync(handler, context));
        }

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

    private static async Task ServeAsync(HttpEndpointHandler handler, HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        var bearer = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
        var request = new HttpRequestData
        {
            Method = context.Request.Method,
            Path = context.Request.Path.Value ?? "/",
            Query = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal),
            Headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            BearerToken = bearer,
        };
        var reply = await handler(request, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = reply.StatusCode;
        if (reply is HttpContentReply content)
        {
            context.Response.ContentType = content.ContentType;
            context.Response.ContentLength = content.Body.Length;
            await context.Response.Body.WriteAsync(content.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 1710, Level = LogLevel.Information, Message = "Health endpoints also listen on {Address}:{Port} (Metrics:HealthPort)")]
    private static partial void LogListening(ILogger logger, string address, int port);

    [LoggerMessage(EventId = 1711, Level = LogLevel.Error, Message = "The health port {Address}:{Port} (Metrics:HealthPort) cannot be bound; health stays on the API port")]
    private static partial void LogFailed(ILogger logger, Exception exception, string address, int port);
}
