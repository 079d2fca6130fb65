using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using CameraService.Abstractions.Api;

namespace CameraService.Plugins.WebSocket.Tests.Fakes;

/// <summary>
/// A core stand-in: every session echoes each message back as its response (except messages starting with
/// "notify:", which get no response), records what it got, and lets tests push notifications.
/// </summary>
internal sealed class FakeRpcEndpoint : IRpcEndpoint
{
    private readonly ConcurrentQueue<FakeRpcSession> _sessions = new();

    public IReadOnlyList<FakeRpcSession> Sessions => _sessions.ToArray();

    public IRpcSession OpenSession(IRpcConnection connection)
    {
        var session = new FakeRpcSession(connection);
        _sessions.Enqueue(session);
        return session;
    }
}

internal sealed class FakeRpcSession(IRpcConnection connection) : IRpcSession
{
    private readonly ConcurrentQueue<string> _received = new();
    private int _disposed;

    public IRpcConnection Connection { get; } = connection;

    public string SessionId { get; } = Guid.NewGuid().ToString("N");

    public IReadOnlyList<string> Received => _received.ToArray();

    public bool Disposed => Volatile.Read(ref _disposed) != 0;

    public async ValueTask<bool> HandleMessageAsync(ReadOnlyMemory<byte> utf8Message, IBufferWriter<byte> response, CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetString(utf8Message.Span);
        _received.Enqueue(text);
        if (text.StartsWith("slow:", StringComparison.Ordinal))
        {
            // A long operation (e.g. a recording that takes a while to start).
            var milliseconds = text["slow:".Length..].Split(' ')[0];
            await Task.Delay(int.Parse(milliseconds, System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        }
        if (text.StartsWith("notify:", StringComparison.Ordinal))
        {
            return false;
        }

        response.Write(Encoding.UTF8.GetBytes("echo:" + text));
        return true;
    }

    public void Dispose() => Interlocked.Exchange(ref _disposed, 1);
}
