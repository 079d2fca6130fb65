using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Websocket.Client;

namespace CameraService.Client;

/// <summary>
/// A typed client of the camera-service JSON-RPC API over WebSocket. Thread-safe: calls may run concurrently.
/// After a dropped connection it reconnects (Websocket.Client), authenticates again with <see cref="CameraServiceClientOptions.Token"/>
/// and restores the last <see cref="SubscribeAsync"/> before further calls are sent.
/// </summary>
/// <example>
/// <code>
/// await using var client = await CameraServiceClient.ConnectAsync(new() { Url = new("ws://box:8002/ws"), Token = token });
/// var cameras = await client.GetCameraListAsync();
/// client.CameraStatusChanged += (_, e) => Console.WriteLine($"{e.Device} is {e.Status}");
/// var shot = await client.TakeSnapshotAsync("camera0");
/// var rec = await client.StartRecordingAsync("camera0", duration: TimeSpan.FromSeconds(30));
/// </code>
/// </example>
public sealed partial class CameraServiceClient : IAsyncDisposable
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);
    private readonly CameraServiceClientOptions _options;
    private readonly WebsocketClient _socket;
    private readonly ConcurrentDictionary<long, Pending> _pending = new();
    private readonly List<IDisposable> _subscriptions = [];
    private readonly Lock _stateLock = new();
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextId;
    private long _connectionGeneration;
    private readonly List<(string Method, Dictionary<string, object?>? Params)> _subscriptionReplay = [];

    private CameraServiceClient(CameraServiceClientOptions options)
    {
        _options = options;
        _socket = new WebsocketClient(options.Url, () =>
        {
            var ws = new ClientWebSocket();
            ws.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
            return ws;
        })
        {
            // The server keeps quiet sockets open; reconnect only on errors and closes.
            ReconnectTimeout = null,
            ErrorReconnectTimeout = options.ReconnectDelay,
            LostReconnectTimeout = options.ReconnectDelay,
            IsReconnectionEnabled = options.AutoReconnect,
            Name = "camera-service",
        };
        _subscriptions.Add(_socket.MessageReceived.Subscribe(OnMessage));
        _subscriptions.Add(_socket.DisconnectionHappened.Subscribe(_ => OnDisconnected()));
        _subscriptions.Add(_socket.ReconnectionHappened.Subscribe(info =>
        {
            if (info.Type != ReconnectionType.Initial)
            {
                _ = RestoreSessionAsync();
            }
        }));
    }

    /// <summary>Raised for <c>camera_status_update</c>.</summary>
    public event EventHandler<CameraStatusUpdate>? CameraStatusChanged;

    /// <summary>Raised for <c>recording_status_update</c>.</summary>
    public event EventHandler<RecordingStatusUpdate>? RecordingStatusChanged;

    /// <summary>Raised for <c>recording_progress</c> (only after subscribing to <c>recording.progress</c>).</summary>
    public event EventHandler<RecordingProgressUpdate>? RecordingProgress;

    /// <summary>Raised for <c>motion_detected</c> (only after subscribing to <c>camera.motion</c>).</summary>
    public event EventHandler<MotionDetected>? MotionDetected;

    /// <summary>Raised for <c>snapshot_taken</c>.</summary>
    public event EventHandler<SnapshotTaken>? SnapshotTaken;

    /// <summary>Raised for <c>storage_status_update</c>.</summary>
    public event EventHandler<StorageStatusUpdate>? StorageStatusChanged;

    /// <summary>Raised for <c>system_health_update</c>.</summary>
    public event EventHandler<SystemHealthUpdate>? SystemHealthChanged;

    /// <summary>Raised for <c>external_stream_update</c> (on the <c>camera.*</c> topics).</summary>
    public event EventHandler<ExternalStreamUpdate>? ExternalStreamChanged;

    /// <summary>Raised for every notification, including ones this client version does not know.</summary>
    public event EventHandler<Notification>? NotificationReceived;

    /// <summary>Raised after a reconnect once authentication and subscriptions are restored (or failed: the argument is the error, null on success).</summary>
    public event EventHandler<Exception?>? Reconnected;

    /// <summary>The result of the last successful authentication.</summary>
    public AuthenticateResult? Session { get; private set; }

    /// <summary>Connects and, when a token is set, authenticates.</summary>
    public static async Task<CameraServiceClient> ConnectAsync(CameraServiceClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var client = new CameraServiceClient(options);
        try
        {
            await client._socket.StartOrFail().WaitAsync(options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
            if (options.Token is not null)
            {
                await client.AuthenticateAsync(options.Token, cancellationToken).ConfigureAwait(false);
            }

            client._ready.TrySetResult();
            return client;
        }
        catch (Exception ex) when (ex is WebSocketException or Websocket.Client.Exceptions.WebsocketException or TimeoutException or System.Net.Http.HttpRequestException)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            // Websocket.Client wraps the socket error in its own words; the innermost one says what happened.
            throw new CameraServiceConnectionException($"Cannot connect to {options.Url}: {ex.GetBaseException().Message}", ex);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Authenticates this connection; the token is kept for re-authentication after reconnects.</summary>
    public async Task<AuthenticateResult> AuthenticateAsync(string token, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        var result = await SendAsync("authenticate", new Dictionary<string, object?> { ["auth_token"] = token },
            ClientJsonContext.Default.AuthenticateResult, waitReady: false, cancellationToken).ConfigureAwait(false);
        _options.Token = token;
        Session = result;
        return result;
    }

    /// <summary>Calls any method and returns the raw result (for methods newer than this client).</summary>
    public Task<JsonElement> CallAsync(string method, IReadOnlyDictionary<string, object?>? parameters = null, CancellationToken cancellationToken = default) =>
        SendAsync(method, parameters, ClientJsonContext.Default.JsonElement, waitReady: true, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var s in _subscriptions)
        {
            s.Dispose();
        }

        try
        {
            if (_socket.IsRunning)
            {
                // A hung peer never answers the close handshake; Dispose below aborts the socket after the wait.
                await _socket.Stop(WebSocketCloseStatus.NormalClosure, "client closed").WaitAsync(CloseTimeout).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            // Already gone, or not answering: the socket is aborted below either way.
        }

        _socket.Dispose();
        FailPending(new CameraServiceConnectionException("The client was disposed."));
    }

    internal async Task<T> SendAsync<T>(string method, IReadOnlyDictionary<string, object?>? parameters, JsonTypeInfo<T> resultType, bool waitReady, CancellationToken cancellationToken)
    {
        // A call cancelled before it starts sends nothing (WaitAsync on a completed task would not notice).
        cancellationToken.ThrowIfCancellationRequested();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        if (waitReady)
        {
            Task ready;
            lock (_stateLock)
            {
                ready = _ready.Task;
            }

            try
            {
                await ready.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new CameraServiceConnectionException($"{method}: not connected to {_options.Url} within {_options.RequestTimeout.TotalSeconds:F0} s");
            }
        }

        var id = Interlocked.Increment(ref _nextId);
        var pending = new Pending(method);
        _pending[id] = pending;
        try
        {
            var payload = RpcRequest.Build(id, method, parameters);
            if (!_socket.IsRunning)
            {
                throw new CameraServiceConnectionException($"{method}: not connected to {_options.Url}");
            }

            try
            {
                await _socket.SendInstant(payload).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is OperationCanceledException or IOException or WebSocketException or ObjectDisposedException)
            {
                // The connection went away between the check above and the send (Websocket.Client reports a reset
                // peer as a cancelled send): the same error as not being connected at all.
                throw new CameraServiceConnectionException($"{method}: the connection to {_options.Url} is gone", ex);
            }

            JsonElement result;
            try
            {
                result = await pending.Completion.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new CameraServiceConnectionException($"{method}: no answer within {_options.RequestTimeout.TotalSeconds:F0} s");
            }

            return result.Deserialize(resultType)!;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private void OnMessage(ResponseMessage message)
    {
        if (message.MessageType != WebSocketMessageType.Text || message.Text is null)
        {
            return;
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(message.Text);
        }
        catch (JsonException)
        {
            return; // Not ours to fix; a malformed frame is ignored.
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in doc.RootElement.EnumerateArray())
                {
                    SafeDispatch(item);
                }
            }
            else
            {
                SafeDispatch(doc.RootElement);
            }
        }
    }

    private void SafeDispatch(JsonElement message)
    {
        try
        {
            Dispatch(message);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or JsonException)
        {
            // A message that is JSON but not JSON-RPC (e.g. a non-numeric error code) is ignored; an exception here
            // would end the subscription to the socket's messages.
        }
    }

    private void Dispatch(JsonElement message)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (message.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.Number && idElement.TryGetInt64(out var id))
        {
            if (!_pending.TryGetValue(id, out var pending))
            {
                return;
            }

            if (message.TryGetProperty("error", out var error))
            {
                var code = error.TryGetProperty("code", out var c) ? c.GetInt32() : ErrorCodes.InternalError;
                var text = error.TryGetProperty("message", out var m) ? m.GetString() ?? string.Empty : string.Empty;
                JsonElement? data = error.TryGetProperty("data", out var d) ? d.Clone() : null;
                pending.Completion.TrySetException(CameraServiceApiException.Create(pending.Method, code, text, data));
            }
            else
            {
                pending.Completion.TrySetResult(message.TryGetProperty("result", out var r) ? r.Clone() : default);
            }

            return;
        }

        if (message.TryGetProperty("method", out var method) && method.GetString() is { } name)
        {
            var parameters = message.TryGetProperty("params", out var p) ? p.Clone() : default;
            RaiseNotification(name, parameters);
        }
    }

    private void RaiseNotification(string method, JsonElement parameters)
    {
        Raise(NotificationReceived, new Notification(method, parameters));
        switch (method)
        {
            case "camera_status_update":
                Raise(CameraStatusChanged, Decode(parameters, ClientJsonContext.Default.CameraStatusUpdate));
                break;
            case "recording_status_update":
                Raise(RecordingStatusChanged, Decode(parameters, ClientJsonContext.Default.RecordingStatusUpdate));
                break;
            case "recording_progress":
                Raise(RecordingProgress, Decode(parameters, ClientJsonContext.Default.RecordingProgressUpdate));
                break;
            case "motion_detected":
                Raise(MotionDetected, Decode(parameters, ClientJsonContext.Default.MotionDetected));
                break;
            case "snapshot_taken":
                Raise(SnapshotTaken, Decode(parameters, ClientJsonContext.Default.SnapshotTaken));
                break;
            case "storage_status_update":
                Raise(StorageStatusChanged, Decode(parameters, ClientJsonContext.Default.StorageStatusUpdate));
                break;
            case "system_health_update":
                Raise(SystemHealthChanged, Decode(parameters, ClientJsonContext.Default.SystemHealthUpdate));
                break;
            case "external_stream_update":
                Raise(ExternalStreamChanged, Decode(parameters, ClientJsonContext.Default.ExternalStreamUpdate));
                break;
            case "camera_controls_changed":
                Raise(CameraControlsChanged, Decode(parameters, ClientJsonContext.Default.CameraControlsChanged));
                break;
        }
    }

    private static T? Decode<T>(JsonElement parameters, JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return parameters.ValueKind == JsonValueKind.Object ? parameters.Deserialize(type) : null;
        }
        catch (JsonException)
        {
            // A notification this client version cannot read is still delivered through NotificationReceived.
            return null;
        }
    }

    private void Raise<T>(EventHandler<T>? handler, T? args)
        where T : class
    {
        if (handler is null || args is null)
        {
            return;
        }

        foreach (var subscriber in handler.GetInvocationList())
        {
            try
            {
                ((EventHandler<T>)subscriber)(this, args);
            }
            catch (Exception)
            {
                // An application handler runs on the receive loop: letting its exception escape would end our
                // subscription to the socket's messages (every later answer lost). There is no caller to hand it to,
                // so it is dropped and the other handlers still run.
            }
        }
    }

    private void OnDisconnected()
    {
        lock (_stateLock)
        {
            _connectionGeneration++;
            if (_ready.Task.IsCompleted)
            {
                _ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            if (!_options.AutoReconnect)
            {
                // No reconnect will come: later calls fail at once instead of waiting out their timeout.
                _ready.TrySetException(new CameraServiceConnectionException($"The connection to {_options.Url} was lost (automatic reconnect is off)."));
            }
        }

        FailPending(new CameraServiceConnectionException($"The connection to {_options.Url} was lost before the answer arrived; the call may or may not have run."));
    }

    private async Task RestoreSessionAsync()
    {
        long generation;
        lock (_stateLock)
        {
            generation = _connectionGeneration;
        }

        Exception? failure = null;
        try
        {
            if (_options.Token is { } token)
            {
                await AuthenticateAsync(token).ConfigureAwait(false);
            }

            List<(string Method, Dictionary<string, object?>? Params)> replay;
            lock (_stateLock)
            {
                replay = [.. _subscriptionReplay];
            }

            foreach (var (method, parameters) in replay)
            {
                await SendAsync(method, parameters, ClientJsonContext.Default.JsonElement, waitReady: false, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // Runs detached from any caller: every failure (API error, lost connection, undecodable answer) is
            // reported through Reconnected instead of being lost, and queued calls are released either way.
            failure = ex;
        }

        lock (_stateLock)
        {
            if (generation != _connectionGeneration)
            {
                // The connection dropped again while restoring; the next reconnect restores the session and
                // releases the queued calls. Releasing them now would send them into a dead socket.
                return;
            }

            _ready.TrySetResult();
        }

        if (Reconnected is { } reconnected)
        {
            foreach (var subscriber in reconnected.GetInvocationList())
            {
                try
                {
                    ((EventHandler<Exception?>)subscriber)(this, failure);
                }
                catch (Exception)
                {
                    // Same reason as in Raise: an application handler's failure must not reach the socket's loop.
                }
            }
        }
    }

    private static Dictionary<string, object?> SubscribeParams(IReadOnlyList<string> topics, string? device)
    {
        var p = new Dictionary<string, object?> { ["topics"] = topics };
        if (device is not null)
        {
            p["filters"] = new Dictionary<string, object?> { ["device"] = device };
        }

        return p;
    }

    private void FailPending(Exception error)
    {
        foreach (var (_, pending) in _pending)
        {
            pending.Completion.TrySetException(error);
        }
    }

    private sealed class Pending(string method)
    {
        public string Method { get; } = method;

        public TaskCompletionSource<JsonElement> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
