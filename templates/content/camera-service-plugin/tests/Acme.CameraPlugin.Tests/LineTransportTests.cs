using System.Buffers;
using System.Net.Sockets;
using System.Text;
using CameraService.Abstractions.Api;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Acme.CameraPlugin.Tests;

public sealed class LineTransportTests
{
    [Fact]
    public async Task Request_Line_IsAnsweredOnOneLine_AndNotificationsFollow()
    {
        var endpoint = new EchoEndpoint();
        var transport = new LineTransport(endpoint, Options.Create(new PluginOptions { BindAddress = "127.0.0.1", Port = 0 }), NullLogger<LineTransport>.Instance);
        await transport.StartAsync(CancellationToken.None);
        try
        {
            var address = new Uri(Assert.Single(transport.Addresses));
            using var client = new TcpClient();
            await client.ConnectAsync(address.Host, address.Port);
            using var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.UTF8);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

            await stream.WriteAsync(Encoding.UTF8.GetBytes("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n"), timeout.Token);

            Assert.Equal("{\"echo\":{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}}", await reader.ReadLineAsync(timeout.Token));
            Assert.True(endpoint.Connection!.TrySendNotification("{\"method\":\"camera_status_update\"}"u8));
            Assert.Equal("{\"method\":\"camera_status_update\"}", await reader.ReadLineAsync(timeout.Token));
        }
        finally
        {
            await transport.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Stands in for the core: answers every message with the message wrapped in "echo".</summary>
    private sealed class EchoEndpoint : IRpcEndpoint
    {
        public IRpcConnection? Connection { get; private set; }

        public IRpcSession OpenSession(IRpcConnection connection)
        {
            Connection = connection;
            return new Session();
        }

        private sealed class Session : IRpcSession
        {
            public string SessionId => "test";

            public ValueTask<bool> HandleMessageAsync(ReadOnlyMemory<byte> utf8Message, IBufferWriter<byte> response, CancellationToken cancellationToken)
            {
                response.Write("{\"echo\":"u8);
                response.Write(utf8Message.Span);
                response.Write("}"u8);
                return ValueTask.FromResult(true);
            }

            public void Dispose()
            {
            }
        }
    }
}
