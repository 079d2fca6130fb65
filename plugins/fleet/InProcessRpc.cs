using System.Buffers;
using System.Text;
using System.Text.Json;
using CameraService.Abstractions.Api;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// Calls the core's public JSON-RPC path in-process through a trusted session, so a node serves exactly the
/// contract its local WebSocket clients get (validation, roles, errors), with no second implementation.
/// </summary>
internal sealed class InProcessRpc(ITrustedRpcEndpoint endpoint)
{
    private long _counter;

    /// <summary>Runs one JSON-RPC message (request or batch) as <paramref name="principal"/> and returns the response bytes (empty for a notification).</summary>
    public async Task<byte[]> CallAsync(TrustedPrincipal principal, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var connection = new DiscardingConnection($"fleet-{Interlocked.Increment(ref _counter)}", principal.UserId);
        using var session = endpoint.OpenTrustedSession(connection, principal);
        var buffer = new ArrayBufferWriter<byte>(1024);
        var answered = await session.HandleMessageAsync(message, buffer, cancellationToken).ConfigureAwait(false);
        return answered ? buffer.WrittenSpan.ToArray() : [];
    }

    /// <summary>
    /// Calls <paramref name="method"/> on a long-lived session of the caller (one call at a time, as sessions
    /// require) and returns its result, or throws with the error's text.
    /// </summary>
    public static async Task<JsonElement> CallMethodAsync(IRpcSession session, string method, string paramsJson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var request = Encoding.UTF8.GetBytes($"{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"{method}\",\"params\":{paramsJson}}}");
        var buffer = new ArrayBufferWriter<byte>(1024);
        await session.HandleMessageAsync(request, buffer, cancellationToken).ConfigureAwait(false);
        var response = buffer.WrittenMemory;
        using var document = JsonDocument.Parse(response);
        if (document.RootElement.TryGetProperty("result", out var result))
        {
            return result.Clone();
        }

        throw new InvalidOperationException($"{method} failed: {document.RootElement.GetProperty("error").GetRawText()}");
    }
}

/// <summary>A connection of in-process calls: notifications meant for it are not wanted.</summary>
internal sealed class DiscardingConnection(string id, string user) : IRpcConnection
{
    public string ConnectionId => id;

    public string? RemoteAddress => user;

    public string? InitialCredential => null;

    public bool TrySendNotification(ReadOnlySpan<byte> utf8Message) => true;

    public void Close(string reason)
    {
    }
}
