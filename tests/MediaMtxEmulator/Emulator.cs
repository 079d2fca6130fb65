using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MediaMtxEmulator;

/// <summary>
/// The MediaMTX emulator, startable in-process: <c>await using var emu = new Emulator(options); var api = await emu.StartAsync(ct);</c>.
/// Stop then start again is a real server restart (API-made config is gone, <c>/v3/info</c> <c>started</c> changes,
/// the port stays the same and connections are refused in between). The state can also be driven directly through
/// the methods below, which do what the <c>/_emulator/</c> side channel does.
/// </summary>
public sealed class Emulator : IAsyncDisposable
{
    private readonly EmulatorOptions _options;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private WebApplication? _app;
    private EmulatorState? _state;
    private int _apiPort = -1;
    private int _rtspPort = -1;

    /// <summary>Creates an emulator; nothing listens before <see cref="StartAsync"/>.</summary>
    public Emulator(EmulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>The Control API base URL (<c>http://127.0.0.1:&lt;port&gt;</c>), valid after the first start.</summary>
    public Uri ApiUrl { get; private set; } = new("http://127.0.0.1:9997");

    /// <summary>The RTSP port announced to hooks (<c>$RTSP_PORT</c>) and served by the RTSP server when enabled.</summary>
    public int RtspPort => _rtspPort;

    /// <summary>The injected API faults of the running instance (<c>/_emulator/faults</c>; a restart clears them).</summary>
    public Faults Faults { get; private set; } = new();

    /// <summary>Whether the API listens now.</summary>
    public bool IsRunning => _app != null;

    private EmulatorState State => _state ?? throw new InvalidOperationException("The emulator has not been started.");

    /// <summary>Starts listening (a real server start: fresh config and runtime state) and returns the API base URL.</summary>
    public async Task<Uri> StartAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_app != null)
            {
                return ApiUrl;
            }

            var (host, port) = ParseAddress(_options.ApiAddress, "127.0.0.1");
            if (_apiPort >= 0)
            {
                port = _apiPort;
            }

            if (_rtspPort < 0)
            {
                var (_, rtsp) = ParseAddress(_options.RtspAddress, "127.0.0.1");
                _rtspPort = rtsp == 0 ? FreePort() : rtsp;
            }

            var rtspServer = _options.RtspServer
                ? await RtspServerProcess.StartAsync(_options.PythonPath, RtspHost(), _rtspPort, cancellationToken).ConfigureAwait(false)
                : null;
            _state = new EmulatorState(_options, _rtspPort, rtspServer);
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Parse(host), port));
            builder.Services.AddLogging(l => l.ClearProviders());
            var app = builder.Build();
            var handler = new ApiHandler(_state, () => _ = Task.Run(() => StopAsync(CancellationToken.None), CancellationToken.None));
            var faults = new Faults();
            Faults = faults;
            app.Run(context => faults.HandleAsync(context, handler.HandleAsync));
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            _apiPort = new Uri(address).Port;
            ApiUrl = new Uri($"http://{host}:{_apiPort.ToString(CultureInfo.InvariantCulture)}");
            _app = app;
            return ApiUrl;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops listening and everything the emulator runs (media recorders are finalized).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_app is null)
            {
                return;
            }

            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
            _state?.Dispose();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _lifecycle.Dispose();
    }

    /// <summary>Attaches a simulated publisher (H.264 640x480 unless tracks are given) to a path.</summary>
    public void Publish(string path, IReadOnlyList<TrackSpec>? tracks = null)
    {
        lock (State.Gate)
        {
            State.Publish(path, tracks ?? [new TrackSpec("H264")]);
        }
    }

    /// <summary>Removes the publisher of a path.</summary>
    public void Unpublish(string path)
    {
        lock (State.Gate)
        {
            State.Unpublish(path);
        }
    }

    /// <summary>Adds a reader (e.g. <c>webRTCSession</c>) and returns its id; starts a runOnDemand publisher if needed.</summary>
    public string AddReader(string path, string type = "webRTCSession")
    {
        lock (State.Gate)
        {
            return State.AddReader(path, type);
        }
    }

    /// <summary>
    /// A client reads a path over <paramref name="protocol"/> (rtsp, hls) with credentials and a query, authenticated
    /// as MediaMTX does (with <c>authMethod: http</c> the service's auth endpoint decides). Returns the reader id, or
    /// null when authentication failed.
    /// </summary>
    public async Task<string?> ReadAsync(string path, string protocol, ClientCredentials? credentials = null, string query = "", CancellationToken cancellationToken = default)
    {
        try
        {
            return await SimulatedClients.ReadAsync(State, path, protocol, credentials ?? new ClientCredentials(), query, cancellationToken).ConfigureAwait(false);
        }
        catch (ApiException ex) when (ex.Status == 401)
        {
            return null;
        }
    }

    /// <summary>A client publishes to a path with credentials, authenticated as MediaMTX does; false when refused.</summary>
    public async Task<bool> PublishAsAsync(string path, ClientCredentials credentials, string protocol = "rtsp", CancellationToken cancellationToken = default)
    {
        try
        {
            await SimulatedClients.PublishAsync(State, path, protocol, credentials, string.Empty, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ApiException ex) when (ex.Status == 401)
        {
            return false;
        }
    }

    /// <summary>Every decision of the HTTP authenticator so far (<c>authMethod: http</c>).</summary>
    public IReadOnlyList<AuthDecision> AuthDecisions => State.HttpAuth.Decisions;

    /// <summary>Removes a reader.</summary>
    public void RemoveReader(string path, string id)
    {
        lock (State.Gate)
        {
            State.RemoveReader(path, id);
        }
    }

    /// <summary>Advances simulated time (counters, segment cuts, recordDeleteAfter cleaner).</summary>
    public void Advance(TimeSpan by)
    {
        lock (State.Gate)
        {
            State.Advance(by);
        }
    }

    /// <summary>Drops API-made config like a mediamtx.yml reload or process restart, without closing the listener.</summary>
    public void Restart()
    {
        lock (State.Gate)
        {
            State.Restart();
        }
    }

    /// <summary>Injects a fault into /v3 requests.</summary>
    public void Fail(FaultRule rule) => State.AddFault(rule);

    /// <summary>Removes all injected faults.</summary>
    public void ClearFaults() => State.ClearFaults();

    /// <summary>The hook log: what MediaMTX would have executed.</summary>
    public IReadOnlyList<HookEvent> Hooks => State.Hooks;

    /// <summary>Clears the hook log.</summary>
    public void ClearHooks() => State.ClearHooks();

    /// <summary>Config changes answered with 200 but not applied yet (with <see cref="EmulatorOptions.ApplyDelay"/>).</summary>
    public int PendingConfigChanges()
    {
        lock (State.Gate)
        {
            return State.PendingChanges;
        }
    }

    /// <summary>The names of the configured paths (as <c>config/paths/list</c> shows them).</summary>
    public IReadOnlyList<string> ConfiguredPaths()
    {
        lock (State.Gate)
        {
            return [.. State.Config.Paths.Keys];
        }
    }

    /// <summary>The effective config of a path, or null.</summary>
    public JsonObject? PathConf(string name)
    {
        lock (State.Gate)
        {
            return State.Config.Paths.ContainsKey(name) ? State.Config.Effective(name) : null;
        }
    }

    private static (string Host, int Port) ParseAddress(string address, string defaultHost)
    {
        var i = address.LastIndexOf(':');
        if (i < 0)
        {
            throw new ArgumentException($"Address '{address}' must be host:port.", nameof(address));
        }

        var host = i == 0 ? defaultHost : address[..i];
        if (host == "localhost")
        {
            host = "127.0.0.1";
        }

        return (host, int.Parse(address[(i + 1)..], CultureInfo.InvariantCulture));
    }

    private string RtspHost()
    {
        var (host, _) = ParseAddress(_options.RtspAddress, "127.0.0.1");
        return host;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
