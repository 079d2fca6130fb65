using System.Buffers;
using System.Text;
using System.Text.Json;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Cameras;
using CameraService.Core.Auth;
using CameraService.Core.Cameras;
using CameraService.Core.Hosting;
using CameraService.Core.Plugins;
using CameraService.Core.Rpc;
using CameraService.Core.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace CameraService.Core.Tests;

/// <summary>
/// The real core, built through <c>AddCameraServiceCore</c> over a temporary state directory with a fake clock,
/// driven through <see cref="IRpcEndpoint"/> with real JSON bytes.
/// </summary>
internal sealed class CoreHarness : IAsyncDisposable
{
    private readonly bool _ownsState;
    private IHostedService? _lifecycle;

    public CoreHarness(
        IReadOnlyDictionary<string, string?>? config = null,
        Action<IServiceCollection>? configure = null,
        string? stateDirectory = null,
        FakeTimeProvider? time = null,
        params ICameraSource[] sources)
    {
        _ownsState = stateDirectory is null;
        StateDirectory = stateDirectory ?? Directory.CreateTempSubdirectory("core-tests-").FullName;
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero));
        var values = new Dictionary<string, string?>
        {
            ["State:Directory"] = StateDirectory,
            ["Storage:Root"] = Path.Combine(StateDirectory, "media"),
            ["Api:PublicHost"] = "camera.test",
        };
        foreach (var (key, value) in config ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        Configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
        services.AddSingleton<TimeProvider>(Time);
        foreach (var source in sources)
        {
            services.AddSingleton(source);
        }

        configure?.Invoke(services);
        services.AddCameraServiceCore(Configuration, Catalog);
        Services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public static PluginCatalog Catalog { get; } = new(
    [
        new PluginRecord("v4l2", "1.0.0", PluginState.Loaded, null, ["ICameraSource:v4l2"], "/plugins/v4l2"),
        new PluginRecord("mediamtx", "1.2.0", PluginState.Disabled, "disabled by configuration", [], "/plugins/mediamtx"),
    ]);

    public string StateDirectory { get; }

    public FakeTimeProvider Time { get; }

    public IConfigurationRoot Configuration { get; }

    public ListLoggerProvider Logs { get; } = new();

    public ServiceProvider Services { get; }

    public IRpcEndpoint Endpoint => Services.GetRequiredService<IRpcEndpoint>();

    public CameraRegistry Registry => Services.GetRequiredService<CameraRegistry>();

    public RpcMethodTable Methods => Services.GetRequiredService<RpcMethodTable>();

    /// <summary>Runs the real lifecycle: the registry attaches, then sources start (first discovery).</summary>
    public async Task StartAsync()
    {
        _lifecycle = Services.GetServices<IHostedService>().Single(s => s.GetType().Name == "ServiceLifecycle");
        await _lifecycle.StartAsync(CancellationToken.None);
    }

    public (IRpcSession Session, FakeRpcConnection Connection) Open(string? bearer = null)
    {
        var connection = new FakeRpcConnection(bearer);
        return (Endpoint.OpenSession(connection), connection);
    }

    /// <summary>Sends one text frame; returns the parsed response, or null when none was written.</summary>
    public static async Task<JsonElement?> SendAsync(IRpcSession session, string json)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var wrote = await session.HandleMessageAsync(Encoding.UTF8.GetBytes(json), buffer, CancellationToken.None);
        if (!wrote)
        {
            Assert.Equal(0, buffer.WrittenCount);
            return null;
        }

        return JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone();
    }

    /// <summary>Sends one frame and returns the raw response text.</summary>
    public static async Task<string> SendRawAsync(IRpcSession session, string json)
    {
        var buffer = new ArrayBufferWriter<byte>();
        await session.HandleMessageAsync(Encoding.UTF8.GetBytes(json), buffer, CancellationToken.None);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Calls a method with named params (JSON object text) and returns the response object.</summary>
    public static async Task<JsonElement> CallAsync(IRpcSession session, string method, string? paramsJson = null, int id = 1)
    {
        var json = paramsJson is null
            ? $$"""{"jsonrpc":"2.0","method":"{{method}}","id":{{id}}}"""
            : $$"""{"jsonrpc":"2.0","method":"{{method}}","params":{{paramsJson}},"id":{{id}}}""";
        var response = await SendAsync(session, json);
        Assert.NotNull(response);
        return response.Value;
    }

    public string Token(ApiRole role, TimeSpan? lifetime = null, string user = "tester") =>
        Services.GetRequiredService<JwtTokenService>().Create(user, role, lifetime ?? TimeSpan.FromHours(1));

    public async Task<IRpcSession> AuthenticatedAsync(ApiRole role, FakeRpcConnection? connection = null)
    {
        var session = Endpoint.OpenSession(connection ?? new FakeRpcConnection());
        var response = await CallAsync(session, "authenticate", $$"""{"auth_token":"{{Token(role)}}"}""");
        Assert.True(response.GetProperty("result").GetProperty("authenticated").GetBoolean(), response.ToString());
        return session;
    }

    public async ValueTask DisposeAsync()
    {
        if (_lifecycle is not null)
        {
            await _lifecycle.StopAsync(CancellationToken.None);
        }

        await Services.DisposeAsync();
        if (_ownsState)
        {
            Directory.Delete(StateDirectory, recursive: true);
        }
    }
}

/// <summary>Assertions on JSON-RPC responses.</summary>
internal static class Rpc
{
    public static JsonElement Result(this JsonElement response)
    {
        Assert.True(response.TryGetProperty("result", out var result), "expected a result: " + response);
        return result;
    }

    public static JsonElement Error(this JsonElement response, int code)
    {
        Assert.True(response.TryGetProperty("error", out var error), "expected an error: " + response);
        Assert.Equal(code, error.GetProperty("code").GetInt32());
        Assert.Equal(RpcErrorCodes.Message(code), error.GetProperty("message").GetString());
        return error.TryGetProperty("data", out var data) ? data : default;
    }

    public static int? ErrorCode(this JsonElement response) =>
        response.TryGetProperty("error", out var error) ? error.GetProperty("code").GetInt32() : null;

    public static string? Str(this JsonElement element, string name) => element.GetProperty(name).GetString();
}
