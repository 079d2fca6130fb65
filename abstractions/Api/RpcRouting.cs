namespace CameraService.Abstractions.Api;

/// <summary>
/// Answers JSON-RPC calls by other means than the core's local handlers — a fleet gateway routes them to the
/// node that owns the camera. Registered by a plugin; the core consults every registered router (in registration
/// order) for each call after it has checked the envelope, the rate limit, the session's authentication and role
/// and the parameters against the method table, and before the local handler runs. So a router never sees a call
/// the contract refuses, and the error codes stay the core's.
/// </summary>
/// <remarks>Called concurrently from many sessions; implementations are thread-safe.</remarks>
public interface IRpcCallRouter
{
    /// <summary>Answers a call, or returns null to let the next router or the local handler answer it.</summary>
    /// <param name="request">The validated call.</param>
    /// <param name="cancellationToken">Cancelled when the client's connection closes.</param>
    ValueTask<RoutedRpcResponse?> RouteAsync(RoutedRpcCall request, CancellationToken cancellationToken);
}

/// <summary>A validated JSON-RPC call as a router sees it.</summary>
public sealed class RoutedRpcCall
{
    /// <summary>The method name (a method of the core's table).</summary>
    public required string Method { get; init; }

    /// <summary>The named parameters as a UTF-8 JSON object; <c>{}</c> when the call had none.</summary>
    public required ReadOnlyMemory<byte> Params { get; init; }

    /// <summary>The session's user.</summary>
    public required string UserId { get; init; }

    /// <summary>The session's role.</summary>
    public required ApiRole Role { get; init; }

    /// <summary>The cameras the session may use (<c>camera&lt;N&gt;</c> ids); null = every camera.</summary>
    public IReadOnlyList<string>? Cameras { get; init; }

    /// <summary>The session id (for logs).</summary>
    public required string SessionId { get; init; }

    /// <summary>
    /// Runs the core's local handler of this call and returns its answer, for a router that adds to a local
    /// result (e.g. <c>get_server_info</c> listing the fleet's nodes).
    /// </summary>
    public required Func<CancellationToken, ValueTask<RoutedRpcResponse>> InvokeLocally { get; init; }
}

/// <summary>The answer to a routed call: a result or a contract error.</summary>
public sealed class RoutedRpcResponse
{
    /// <summary>The result as UTF-8 JSON (any JSON value), when the call succeeded.</summary>
    public ReadOnlyMemory<byte> Result { get; init; }

    /// <summary>The error code of the contract (api-contract.md §3), when the call failed; 0 on success.</summary>
    public int ErrorCode { get; init; }

    /// <summary>The error's <c>data</c> object as UTF-8 JSON, or empty for none.</summary>
    public ReadOnlyMemory<byte> ErrorData { get; init; }

    /// <summary>Whether this is an error answer.</summary>
    public bool IsError => ErrorCode != 0;

    /// <summary>A successful answer.</summary>
    /// <param name="utf8Json">The result value.</param>
    public static RoutedRpcResponse FromResult(ReadOnlyMemory<byte> utf8Json) => new() { Result = utf8Json };

    /// <summary>An error answer; the core writes the contract's fixed message for <paramref name="code"/>.</summary>
    /// <param name="code">The error code.</param>
    /// <param name="utf8Data">The <c>data</c> object, or empty.</param>
    public static RoutedRpcResponse FromError(int code, ReadOnlyMemory<byte> utf8Data = default) =>
        code == 0 ? throw new ArgumentOutOfRangeException(nameof(code), "0 is not an error code") : new() { ErrorCode = code, ErrorData = utf8Data };
}

/// <summary>
/// Delivers a notification to the core's sessions as if the core had raised it, honouring every session's
/// topics and device filter (a fleet gateway forwards its nodes' notifications this way). Implemented by the core.
/// </summary>
public interface IRpcNotificationPublisher
{
    /// <summary>Publishes <paramref name="method"/> with <paramref name="utf8Params"/> to the sessions that want it.</summary>
    /// <param name="topics">The contract's topic names that select it (<c>camera.connected</c>, <c>recording.stop</c>, …); a session subscribed to any of them gets it.</param>
    /// <param name="method">The notification's method (<c>camera_status_update</c>, …).</param>
    /// <param name="device">The camera the notification is about, for device filters; null for none.</param>
    /// <param name="utf8Params">The params object as UTF-8 JSON.</param>
    /// <returns>How many sessions accepted it.</returns>
    /// <exception cref="ArgumentException">A topic is not one of the contract's.</exception>
    int Publish(IReadOnlyList<string> topics, string method, string? device, ReadOnlyMemory<byte> utf8Params);
}
