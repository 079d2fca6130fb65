using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Plugins.WebSocket.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.WebSocket.Tests;

public sealed class LifecycleTests
{
    [Fact]
    public void ConfigureServices_HostLikeCollection_RegistersOneWebSocketTransportWithDefaults()
    {
        using var provider = TransportHarness.BuildProvider(new Dictionary<string, string?>(), null, new FakeRpcEndpoint());

        var transport = Assert.Single(provider.GetServices<IApiTransport>());
        Assert.Equal("websocket", transport.Name);
        Assert.Same(transport, provider.GetRequiredService<IApiTransport>());
        Assert.Equal(ComponentState.Stopped, transport.GetHealth().State);
        Assert.Empty(transport.Addresses);

        var options = provider.GetRequiredService<IOptions<WebSocketTransportOptions>>().Value;
        Assert.Equal("/ws", options.Path);
        Assert.Equal(1024 * 1024, options.MaxMessageBytes);
        Assert.Equal(10_000, options.MaxConnections);
        Assert.Equal(TimeSpan.FromSeconds(30), options.PingInterval);
    }

    [Theory]
    [InlineData("Api:PingInterval", "30", "Api:PingInterval")]
    [InlineData("Api:Port", "70000", "Api:Port")]
    [InlineData("Api:BindAddress", "not-an-address", "Api:BindAddress")]
    [InlineData("Api:Path", "ws", "Api:Path")]
    [InlineData("Api:Tls:CertificatePath", "/tmp/cert.pem", "Api:Tls")]
    [InlineData("Api:MaxConnections", "0", "Api:MaxConnections")]
    public void Options_InvalidValue_ValidationNamesTheKey(string key, string value, string expectedInMessage)
    {
        using var provider = TransportHarness.BuildProvider(new Dictionary<string, string?> { [key] = value }, null, new FakeRpcEndpoint());

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<WebSocketTransportOptions>>().Value);

        Assert.Contains(expectedInMessage, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_PortInUse_ThrowsDependencyFailedAndHealthErrorNamesPort()
    {
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        using var provider = TransportHarness.BuildProvider(new Dictionary<string, string?> { ["Api:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) }, null, new FakeRpcEndpoint());
        var transport = provider.GetRequiredService<IApiTransport>();
        using var timeout = Wire.Timeout();

        var error = await Assert.ThrowsAsync<DependencyFailedException>(() => transport.StartAsync(timeout.Token));

        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        var health = transport.GetHealth();
        Assert.Equal(ComponentState.Error, health.State);
        Assert.Contains("in use", health.Message, StringComparison.Ordinal);
        Assert.Empty(transport.Addresses);
    }

    [Fact]
    public async Task StopAsync_OpenSessions_ClosedWith1001AndListenerStops()
    {
        var harness = await TransportHarness.StartAsync();
        using var timeout = Wire.Timeout();
        using var first = await harness.ConnectAsync(timeout.Token);
        using var second = await harness.ConnectAsync(timeout.Token);
        var sessions = await harness.WaitForSessionsAsync(2, timeout.Token);
        var port = harness.Port;
        var closes = new[] { Wire.ReceiveCloseAsync(first, timeout.Token), Wire.ReceiveCloseAsync(second, timeout.Token) };

        await harness.DisposeAsync();

        Assert.Equal([WebSocketCloseStatus.EndpointUnavailable, WebSocketCloseStatus.EndpointUnavailable], await Task.WhenAll(closes));
        Assert.Equal("server shutting down", first.CloseStatusDescription);
        Assert.All(sessions, s => Assert.True(s.Disposed));
        Assert.Equal(ComponentState.Stopped, harness.Transport.GetHealth().State);
        using var probe = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => probe.ConnectAsync(IPAddress.Loopback, port, timeout.Token).AsTask());
    }

    [Fact]
    public async Task StartAsync_TlsConfigured_ServesWss()
    {
        var directory = Directory.CreateTempSubdirectory("ws-tls-");
        try
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            var certPath = Path.Combine(directory.FullName, "cert.pem");
            var keyPath = Path.Combine(directory.FullName, "key.pem");
            await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());

            await using var harness = await TransportHarness.StartAsync(new Dictionary<string, string?>
            {
                ["Api:Tls:CertificatePath"] = certPath,
                ["Api:Tls:KeyPath"] = keyPath,
            });
            using var timeout = Wire.Timeout();

            Assert.StartsWith("wss://127.0.0.1:", harness.Transport.Addresses[0], StringComparison.Ordinal);
            string? presented = null;
            using var client = await harness.ConnectAsync(timeout.Token, o => o.RemoteCertificateValidationCallback = (_, cert, _, _) =>
            {
                presented = cert?.GetCertHashString();
                return presented == certificate.GetCertHashString();
            });
            await Wire.SendTextAsync(client, "secure", timeout.Token);

            Assert.Equal("echo:secure", await Wire.ReceiveTextAsync(client, timeout.Token));
            Assert.Equal(certificate.GetCertHashString(), presented);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task StartAsync_TlsFilesMissing_ThrowsAndHealthError()
    {
        var directory = Directory.CreateTempSubdirectory("ws-tls-");
        try
        {
            using var provider = TransportHarness.BuildProvider(new Dictionary<string, string?>
            {
                ["Api:Tls:CertificatePath"] = Path.Combine(directory.FullName, "none.pem"),
                ["Api:Tls:KeyPath"] = Path.Combine(directory.FullName, "none.key"),
            }, null, new FakeRpcEndpoint());
            var transport = provider.GetRequiredService<IApiTransport>();
            using var timeout = Wire.Timeout();

            var error = await Assert.ThrowsAsync<DependencyFailedException>(() => transport.StartAsync(timeout.Token));

            Assert.Contains("Api:Tls", error.Message, StringComparison.Ordinal);
            Assert.Equal(ComponentState.Error, transport.GetHealth().State);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task StartAsync_NoRpcEndpointRegistered_ThrowsDependencyFailedAndHealthError()
    {
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Api:BindAddress"] = "127.0.0.1", ["Api:Port"] = "0" })
            .Build();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        new WebSocketPlugin().ConfigureServices(services, configuration);
        await using var provider = services.BuildServiceProvider();
        var transport = provider.GetRequiredService<IApiTransport>();
        using var timeout = Wire.Timeout();

        var error = await Assert.ThrowsAsync<DependencyFailedException>(() => transport.StartAsync(timeout.Token));

        Assert.Equal("core", error.Dependency);
        Assert.Equal(ComponentState.Error, transport.GetHealth().State);
        Assert.Empty(transport.Addresses);
    }
}
