using System.Buffers;

namespace CameraService.Abstractions.Api;

/// <summary>
/// A listener that accepts client connections (WebSocket, …), hands each message to the core through
/// <see cref="IRpcEndpoint"/> and delivers notifications back. Registered by a transport plugin.
/// </summary>
public interface IApiTransport
{
    /// <summary>The transport's name (e.g. <c>websocket</c>).</summary>
    string Name { get; }

    /// <summary>The addresses it listens on, once started (e.g. <c>ws://127.0.0.1:8002/ws</c>).</summary>
    IReadOnlyList<string> Addresses { get; }

    /// <summary>Starts listening. Completes when the listener accepts connections.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Stops listening and closes every session (WebSocket close 1001).</summary>
    /// <param name="cancellationToken">Cancels the stop.</param>
    Task StopAsync(CancellationToken cancellationToken);

    /// <summary>The transport's health.</summary>
    ComponentStatus GetHealth();
}

/// <summary>The core's JSON-RPC endpoint, used by transports. Implemented by the core.</summary>
public interface IRpcEndpoint
{
    /// <summary>Opens a session for a new client connection.</summary>
    /// <param name="connection">The transport's side of the connection.</param>
    IRpcSession OpenSession(IRpcConnection connection);
}

/// <summary>
/// One client connection as the core sees it. Implemented by the transport. Thread-safe.
/// </summary>
public interface IRpcConnection
{
    /// <summary>A unique id of the connection (for logs).</summary>
    string ConnectionId { get; }

    /// <summary>The remote address, if known.</summary>
    string? RemoteAddress { get; }

    /// <summary>A credential presented when the connection was opened (<c>Authorization: Bearer</c>), if any.</summary>
    string? InitialCredential { get; }

    /// <summary>
    /// Queues a notification (a complete UTF-8 JSON-RPC message) without waiting. Returns false when it was
    /// dropped because the session's outbound queue is full; the transport closes a session that keeps
    /// falling behind (1008). Never blocks the caller.
    /// </summary>
    /// <param name="utf8Message">The message; the transport copies it before returning.</param>
    bool TrySendNotification(ReadOnlySpan<byte> utf8Message);

    /// <summary>Closes the connection (e.g. policy violation).</summary>
    /// <param name="reason">Why, sent as the close description.</param>
    void Close(string reason);
}

/// <summary>
/// The core's state of one connection: authentication, subscriptions, rate limit.
/// Messages of one session are handed over one at a time, in order.
/// </summary>
public interface IRpcSession : IDisposable
{
    /// <summary>The session id returned by <c>authenticate</c>.</summary>
    string SessionId { get; }

    /// <summary>
    /// Handles one text message (a request, notification or batch) and writes the response, if any, to
    /// <paramref name="response"/>.
    /// </summary>
    /// <param name="utf8Message">The message as received.</param>
    /// <param name="response">Where the response is written.</param>
    /// <param name="cancellationToken">Cancelled when the connection closes.</param>
    /// <returns>True when a response was written (false for notifications only).</returns>
    ValueTask<bool> HandleMessageAsync(ReadOnlyMemory<byte> utf8Message, IBufferWriter<byte> response, CancellationToken cancellationToken);
}
