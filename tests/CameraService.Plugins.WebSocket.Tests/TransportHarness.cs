using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using CameraService.Abstractions.Api;
using CameraService.Plugins.WebSocket.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.WebSocket.Tests;

/// <summary>
/// Starts the transport on 127.0.0.1 with a free port through the plugin's real DI registration
/// (<see cref="WebSocketPlugin.ConfigureServices"/>) with a fake core endpoint.
/// </summary>
internal sealed class TransportHarness : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private TransportHarness(ServiceProvider provider, IApiTransport transport, FakeRpcEndpoint endpoint)
    {
        _provider = provider;
        Transport = transport;
        Endpoint = endpoint;
    }

    public IApiTransport Transport { get; }

    public FakeRpcEndpoint Endpoint { get; }

    public Uri WebSocketUri => new(Transport.Addresses[0]);

    public int Port => WebSocketUri.Port;

    public Uri HttpBase => new UriBuilder(WebSocketUri) { Scheme = WebSocketUri.Scheme == "wss" ? "https" : "http", Path = "/" }.Uri;

    public static ServiceProvider BuildProvider(IDictionary<string, string?>? settings, IHttpEndpointSource? http, FakeRpcEndpoint endpoint)
    {
        var values = new Dictionary<string, string?>
        {
            ["Api:BindAddress"] = "127.0.0.1",
            ["Api:Port"] = "0",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(b => { if (Environment.GetEnvironmentVariable("WS_TEST_LOG") == "1") { b.AddSimpleConsole(); b.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Debug); } });
        new WebSocketPlugin().ConfigureServices(services, configuration);
        services.AddSingleton<IRpcEndpoint>(endpoint);
        if (http is not null)
        {
            services.AddSingleton(http);
        }

        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public static async Task<TransportHarness> StartAsync(IDictionary<string, string?>? settings = null, IHttpEndpointSource? http = null)
    {
        var endpoint = new FakeRpcEndpoint();
        var provider = BuildProvider(settings, http, endpoint);
        var transport = provider.GetServices<IApiTransport>().Single(t => t.Name == "websocket");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await transport.StartAsync(timeout.Token);
        return new TransportHarness(provider, transport, endpoint);
    }

    public async Task<ClientWebSocket> ConnectAsync(CancellationToken cancellationToken, Action<ClientWebSocketOptions>? configure = null)
    {
        var client = new ClientWebSocket();
        configure?.Invoke(client.Options);
        await client.ConnectAsync(WebSocketUri, cancellationToken);
        return client;
    }

    /// <summary>Waits until the fake core has opened <paramref name="count"/> sessions.</summary>
    public Task<IReadOnlyList<FakeRpcSession>> WaitForSessionsAsync(int count, CancellationToken cancellationToken) =>
        Poll.UntilAsync(() => Endpoint.Sessions.Count >= count ? Endpoint.Sessions : null, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Transport.StopAsync(timeout.Token);
        await _provider.DisposeAsync();
    }
}

internal static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<T?> condition, CancellationToken cancellationToken)
        where T : class
    {
        while (true)
        {
            if (condition() is { } value)
            {
                return value;
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    public static Task UntilAsync(Func<bool> condition, CancellationToken cancellationToken) =>
        UntilAsync(() => condition() ? string.Empty : null, cancellationToken);
}

internal static class Wire
{
    public static CancellationTokenSource Timeout(int seconds = 30) => new(TimeSpan.FromSeconds(seconds));

    public static Task SendTextAsync(ClientWebSocket client, string text, CancellationToken cancellationToken) =>
        client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancellationToken);

    /// <summary>Reads one whole message; null when the server closed (see <c>client.CloseStatus</c>).</summary>
    public static async Task<string?> ReceiveTextAsync(ClientWebSocket client, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await client.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
            }
        }
    }

    /// <summary>Reads until the server's close frame, acknowledges it, and returns the status.</summary>
    public static async Task<WebSocketCloseStatus?> ReceiveCloseAsync(ClientWebSocket client, CancellationToken cancellationToken)
    {
        while (await ReceiveTextAsync(client, cancellationToken) is not null)
        {
        }

        if (client.State == WebSocketState.CloseReceived)
        {
            await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
        }

        return client.CloseStatus;
    }
}

/// <summary>A hand-written HTTP/1.1 upgrade request, to see the status and body of refused upgrades.</summary>
internal sealed class RawUpgrade : IDisposable
{
    private readonly TcpClient _client;

    private RawUpgrade(TcpClient client, NetworkStream stream, int status, string head, string body)
    {
        _client = client;
        Stream = stream;
        Status = status;
        Head = head;
        Body = body;
    }

    public NetworkStream Stream { get; }

    public int Status { get; }

    public string Head { get; }

    public string Body { get; }

    public static async Task<RawUpgrade> SendAsync(int port, string path, CancellationToken cancellationToken, params string[] headers)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, cancellationToken);
        var stream = client.GetStream();
        var request = new StringBuilder()
            .Append("GET ").Append(path).Append(" HTTP/1.1\r\n")
            .Append("Host: 127.0.0.1:").Append(port).Append("\r\n")
            .Append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
            .Append("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
        foreach (var header in headers)
        {
            request.Append(header).Append("\r\n");
        }

        request.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()), cancellationToken);

        var received = new List<byte>();
        var one = new byte[1];
        while (received.Count < 4 || !(received[^4] == '\r' && received[^3] == '\n' && received[^2] == '\r' && received[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                break;
            }

            received.Add(one[0]);
        }

        var head = Encoding.ASCII.GetString(received.ToArray());
        var status = int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var body = string.Empty;
        var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (lengthLine is not null)
        {
            var length = int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            var bytes = new byte[length];
            await stream.ReadExactlyAsync(bytes, cancellationToken);
            body = Encoding.UTF8.GetString(bytes);
        }

        return new RawUpgrade(client, stream, status, head, body);
    }

    public void Dispose() => _client.Dispose();
}
