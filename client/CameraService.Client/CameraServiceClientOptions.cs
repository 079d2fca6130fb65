namespace CameraService.Client;

/// <summary>How a <see cref="CameraServiceClient"/> connects.</summary>
public sealed class CameraServiceClientOptions
{
    /// <summary>The WebSocket URL, e.g. <c>ws://camera-box:8002/ws</c>.</summary>
    public required Uri Url { get; init; }

    /// <summary>A JWT or API key (<c>csk_…</c>); sent with <c>authenticate</c> after every (re)connect. Null: unauthenticated (only ping, rpc.discover).</summary>
    public string? Token { get; set; }

    /// <summary>How long a call may wait for its answer (default 30 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long opening the WebSocket may take in <see cref="CameraServiceClient.ConnectAsync"/> (default 30 s).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Reconnect automatically when the connection drops (default true).</summary>
    public bool AutoReconnect { get; init; } = true;

    /// <summary>Wait between reconnect attempts (default 2 s).</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromSeconds(2);
}
