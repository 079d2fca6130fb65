using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Shared.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.WebSocket;

/// <summary>
/// The <c>websocket</c> transport: its own Kestrel web application (so the service host stays a plain generic
/// host) serving the JSON-RPC WebSocket endpoint and every <see cref="IHttpEndpointSource"/> endpoint.
/// </summary>
internal sealed class WebSocketTransport : IApiTransport, IAsyncDisposable, IDisposable
{
    private static readonly byte[] ServiceUnavailableBody = JsonErrors.Serialize("too_many_connections", "The server has reached its connection limit; retry later.");

    private readonly IServiceProvider _services;
    private readonly WebSocketTransportOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<WebSocketTransport> _logger;
    private readonly ConcurrentDictionary<WebSocketConnection, Task> _sessions = new();
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private WebApplication? _app;
    private ITimer? _watchdog;
    private IRpcEndpoint? _endpoint;
    private int _activeConnections;
    private int _stopping;
    private volatile ComponentStatus _health = new ComponentStatus { State = ComponentState.Stopped, Message = "not started" };
    private IReadOnlyList<string> _addresses = [];

    private readonly TransportMetrics? _metrics;
    private readonly AddressBudget _perAddress;
    private readonly IReadOnlyList<System.Net.IPNetwork> _trustedProxies;

    public WebSocketTransport(
        IServiceProvider services,
        IOptions<WebSocketTransportOptions> options,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory,
        TransportMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _metrics = metrics;
        _services = services;
        _options = options.Value;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<WebSocketTransport>();
        _perAddress = new AddressBudget(_options.MaxConnectionsPerAddress);
        _trustedProxies = [.. _options.TrustedProxies.Select(p => ClientAddress.TryParse(p, out var n) ? n : throw new InvalidOperationException($"Api:TrustedProxies entry '{p}' is not an IP address or CIDR range."))];
    }

    public string Name => "websocket";

    public IReadOnlyList<string> Addresses => _addresses;

    /// <summary>Open WebSocket sessions.</summary>
    public int ActiveConnections => Volatile.Read(ref _activeConnections);

    /// <summary>The live sessions (for diagnostics and tests).</summary>
    internal IEnumerable<WebSocketConnection> Sessions => _sessions.Keys;

    public ComponentStatus GetHealth() => _health;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_app is not null)
            {
                return;
            }

            // Resolved here, not in the constructor: the core's endpoint may depend on the transports list.
            _endpoint = _services.GetService<IRpcEndpoint>();
            if (_endpoint is null)
            {
                const string missing = "no JSON-RPC endpoint (IRpcEndpoint) is registered; the core is not loaded";
                _health = new ComponentStatus { State = ComponentState.Error, Message = missing, LastError = missing, LastErrorTime = _timeProvider.GetUtcNow() };
                throw new DependencyFailedException("core", missing);
            }

            var sources = _services.GetServices<IHttpEndpointSource>().ToList();
            var certificate = LoadCertificate();
            var app = Build(certificate, sources);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await app.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            catch (Exception ex) when (ex is IOException or SocketException or InvalidOperationException)
            {
                await app.DisposeAsync().ConfigureAwait(false);
                var reason = BindFailureReason(ex);
                Log.BindFailed(_logger, ex, _options.BindAddress, _options.Port, reason);
                var message = $"cannot listen on {_options.BindAddress}:{_options.Port}: {reason}";
                _health = new ComponentStatus { State = ComponentState.Error, Message = message, LastError = message, LastErrorTime = _timeProvider.GetUtcNow() };
                throw new DependencyFailedException("listener", message + "; free the port or change Api:Port/Api:BindAddress", ex);
            }

            _app = app;
            Interlocked.Exchange(ref _stopping, 0);
            var period = TimeSpan.FromTicks(Math.Clamp(_options.SendTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 100, TimeSpan.TicksPerSecond));
            _watchdog = _timeProvider.CreateTimer(static state => ((WebSocketTransport)state!).CheckStalledSends(), this, period, period);
            var scheme = _options.UseTls ? "wss" : "ws";
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            _addresses = bound.Select(a => ToWebSocketAddress(a, scheme)).ToList();
            Log.Listening(_logger, string.Join(", ", _addresses));
            _health = ComponentStatus.Running;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            var app = _app;
            if (app is null)
            {
                return;
            }

            _watchdog?.Dispose();
            _watchdog = null;

            // Full fence: a session registered after this line sees the flag and closes itself (AcceptAsync).
            Interlocked.Exchange(ref _stopping, 1);
            var sessions = _sessions.ToArray();
            foreach (var (connection, _) in sessions)
            {
                connection.RequestClose(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, "server shutting down");
            }

            // Each session aborts itself when its close handshake exceeds Api:CloseTimeout; the caller's token
            // bounds the whole stop.
            try
            {
                await Task.WhenAll(sessions.Select(s => s.Value)).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                var left = _sessions.Keys.ToList();
                foreach (var connection in left)
                {
                    connection.Abort();
                }

                Log.StopAborted(_logger, left.Count);
            }

            try
            {
                await app.StopAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await app.DisposeAsync().ConfigureAwait(false);
                _app = null;
                _addresses = [];
                _health = new ComponentStatus { State = ComponentState.Stopped, Message = "stopped" };
                Log.Stopped(_logger, sessions.Length);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _lifecycle.Dispose();
    }

    /// <summary>
    /// For a container disposed synchronously without <see cref="StopAsync"/> having run: aborts every session
    /// and releases the listener without a close handshake.
    /// </summary>
    public void Dispose()
    {
        _watchdog?.Dispose();
        _watchdog = null;
        foreach (var connection in _sessions.Keys)
        {
            connection.Abort();
        }

        var app = Interlocked.Exchange(ref _app, null);
        (app as IDisposable)?.Dispose();
        _health = new ComponentStatus { State = ComponentState.Stopped, Message = "stopped" };
        _addresses = [];
    }

    private WebApplication Build(X509Certificate2? certificate, List<IHttpEndpointSource> sources)
    {
        // The empty builder reads no appsettings/environment of its own: every setting comes from Api:*.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddSingleton(_loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddSingleton<IHostLifetime, NoopHostLifetime>();
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseSockets(sockets =>
        {
            sockets.Backlog = _options.ListenBacklog;
            sockets.UnsafePreferInlineScheduling = _options.InlineScheduling;
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Validated at start (WebSocketTransportOptionsValidator); null means "localhost".
            _ = WebSocketTransportOptions.TryParseBindAddress(_options.BindAddress, out var address);
            void Configure(ListenOptions listen)
            {
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            }

            if (address is null)
            {
                kestrel.ListenLocalhost(_options.Port, Configure);
            }
            else
            {
                kestrel.Listen(address, _options.Port, Configure);
            }
        });

        var app = builder.Build();
        app.UseWebSockets();
        app.MapMethods(_options.Path, [HttpMethods.Get, HttpMethods.Connect], AcceptAsync);
        HttpEndpointMapper.MapAll(app, sources, ["GET " + _options.Path], _logger);
        HttpBodyEndpointMapper.MapAll(app, _services.GetServices<IHttpBodyEndpointSource>(), _logger);
        return app;
    }

    // One timer for all sessions instead of a cancellable token per send (see WebSocketConnection.SendAsync).
    private void CheckStalledSends()
    {
        var now = _timeProvider.GetTimestamp();
        foreach (var connection in _sessions.Keys)
        {
            connection.CheckSendStalled(now);
        }
    }

    private async Task AcceptAsync(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress?.ToString();
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await JsonErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "websocket_required", "This endpoint accepts WebSocket connections only.").ConfigureAwait(false);
            return;
        }

        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && !IsOriginAllowed(origin))
        {
            Log.OriginRefused(_logger, remote, origin);
            _metrics?.Rejected("origin_not_allowed");
            await JsonErrors.WriteAsync(context, StatusCodes.Status403Forbidden, "origin_not_allowed", "The Origin of this page is not allowed to connect.").ConfigureAwait(false);
            return;
        }

        if (Volatile.Read(ref _stopping) != 0)
        {
            _metrics?.Rejected("shutting_down");
            await JsonErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "shutting_down", "The server is shutting down.").ConfigureAwait(false);
            return;
        }

        var client = ClientAddress.Resolve(context, _trustedProxies);
        if (!_perAddress.TryAcquire(client))
        {
            Log.ConnectionLimit(_logger, client, _options.MaxConnectionsPerAddress);
            _metrics?.Rejected("address_limit");
            context.Response.Headers.RetryAfter = "5";
            await JsonErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "too_many_connections_from_address", "This address has reached its connection limit (Api:MaxConnectionsPerAddress); close other sessions or retry later.").ConfigureAwait(false);
            return;
        }

        try
        {
            await AcceptWithinLimitAsync(context, remote).ConfigureAwait(false);
        }
        finally
        {
            _perAddress.Release(client);
        }
    }

    private async Task AcceptWithinLimitAsync(HttpContext context, string? remote)
    {
        if (Interlocked.Increment(ref _activeConnections) > _options.MaxConnections)
        {
            Interlocked.Decrement(ref _activeConnections);
            Log.ConnectionLimit(_logger, remote, _options.MaxConnections);
            _metrics?.Rejected("connection_limit");
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.ContentType = "application/json";
            context.Response.Headers.RetryAfter = "5";
            context.Response.ContentLength = ServiceUnavailableBody.Length;
            await context.Response.Body.WriteAsync(ServiceUnavailableBody, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        try
        {
            var acceptContext = new WebSocketAcceptContext
            {
                // With a timeout set, .NET sends pings (not unsolicited pongs) and aborts a peer whose pong is late.
                KeepAliveInterval = _options.PingInterval,
                KeepAliveTimeout = _options.PongTimeout,
            };
            using var socket = await context.WebSockets.AcceptWebSocketAsync(acceptContext).ConfigureAwait(false);
            var logger = _logger;
            var connection = new WebSocketConnection(socket, remote, HttpEndpointMapper.BearerToken(context.Request), _options, _timeProvider, logger);
            var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _sessions[connection] = completion.Task;
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _stopping) != 0)
            {
                // Accepted while StopAsync was taking its snapshot of the sessions.
                connection.RequestClose(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, "server shutting down");
            }

            try
            {
                await connection.RunAsync(_endpoint!).ConfigureAwait(false);
            }
            finally
            {
                _sessions.TryRemove(connection, out _);
                completion.TrySetResult();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _activeConnections);
        }
    }

    private bool IsOriginAllowed(string origin)
    {
        if (_options.AllowedOrigins.Count == 0)
        {
            return true;
        }

        var trimmed = origin.TrimEnd('/');
        foreach (var allowed in _options.AllowedOrigins)
        {
            if (allowed == "*" || string.Equals(allowed.TrimEnd('/'), trimmed, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private X509Certificate2? LoadCertificate()
    {
        if (!_options.UseTls)
        {
            return null;
        }

        try
        {
            return X509Certificate2.CreateFromPemFile(_options.Tls.CertificatePath!, _options.Tls.KeyPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            var reason = ex is FileNotFoundException or DirectoryNotFoundException ? "file not found"
                : ex is UnauthorizedAccessException ? "permission denied"
                : "not a valid PEM certificate/key pair";
            Log.TlsLoadFailed(_logger, ex, _options.Tls.CertificatePath, _options.Tls.KeyPath, reason);
            var message = "cannot load the TLS certificate: " + reason;
            _health = new ComponentStatus { State = ComponentState.Error, Message = message, LastError = message, LastErrorTime = _timeProvider.GetUtcNow() };
            throw new DependencyFailedException("tls", message + "; check Api:Tls:CertificatePath and Api:Tls:KeyPath", ex);
        }
    }

    private static string BindFailureReason(Exception ex)
    {
        for (var e = (Exception?)ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.AddressAlreadyInUse => "the port is already in use",
                    SocketError.AddressNotAvailable => "the address is not on this machine",
                    SocketError.AccessDenied => "permission denied (ports below 1024 need privileges)",
                    _ => socket.SocketErrorCode.ToString(),
                };
            }
        }

        return ex.Message;
    }

    private string ToWebSocketAddress(string address, string scheme)
    {
        // Kestrel reports http://127.0.0.1:54321; clients connect to ws://127.0.0.1:54321/ws.
        var uri = new Uri(address);
        var builder = new UriBuilder(uri) { Scheme = scheme, Path = _options.Path };
        return builder.Uri.GetLeftPart(UriPartial.Path);
    }
}
