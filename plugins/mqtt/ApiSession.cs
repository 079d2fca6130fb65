using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using CameraService.Abstractions.Api;

namespace CameraService.Plugins.Mqtt;

/// <summary>
/// The bridge's side of one in-process API session: it calls JSON-RPC methods like any client and receives the
/// session's notifications in a bounded queue. Opened with <see cref="ITrustedRpcEndpoint"/>, so no token is needed;
/// the role is the one the configuration gives.
/// </summary>
internal sealed class ApiSession : IRpcConnection, IDisposable
{
    private readonly Channel<byte[]> _notifications;
    private readonly SemaphoreSlim _callGate = new(1, 1); // IRpcSession: one message at a time, in order
    private const int RateLimitedCode = -32040;

    private readonly IRpcSession _session;
    private readonly TimeProvider _time;
    private long _nextId;
    private long _dropped;

    public ApiSession(ITrustedRpcEndpoint endpoint, string userId, ApiRole role, int queueLength, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        _time = time;
        ConnectionId = $"mqtt-{userId}";
        _notifications = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(queueLength) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _session = endpoint.OpenTrustedSession(this, new TrustedPrincipal { UserId = userId, Role = role });
    }

    public string ConnectionId { get; }

    public string? RemoteAddress => null;

    public string? InitialCredential => null;

    /// <summary>Notifications dropped because the bridge fell behind (queue full).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public ChannelReader<byte[]> Notifications => _notifications.Reader;

    public bool TrySendNotification(ReadOnlySpan<byte> utf8Message)
    {
        // Never blocks the event fan-out: a full queue drops the notification (state is re-read on the next refresh).
        if (_notifications.Writer.TryWrite(utf8Message.ToArray()))
        {
            return true;
        }

        Interlocked.Increment(ref _dropped);
        return false;
    }

    public void Close(string reason) => _notifications.Writer.TryComplete();

    /// <summary>Calls a method and returns the JSON-RPC answer (an object with <c>result</c> or <c>error</c>).</summary>
    /// <param name="method">The method.</param>
    /// <param name="writeParams">Writes the members of <c>params</c>, or null for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<JsonElement> CallAsync(string method, Action<Utf8JsonWriter>? writeParams, CancellationToken cancellationToken)
    {
        var request = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(request))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc"u8, "2.0"u8);
            writer.WriteString("method"u8, method);
            if (writeParams is not null)
            {
                writer.WriteStartObject("params"u8);
                writeParams(writer);
                writer.WriteEndObject();
            }

            writer.WriteNumber("id"u8, Interlocked.Increment(ref _nextId));
            writer.WriteEndObject();
        }

        // The bridge's sessions have the API's rate limit like any client: when a burst of refreshes hits it, wait as
        // the answer says and try again (a few times) rather than publish nothing.
        for (var attempt = 1; ; attempt++)
        {
            var response = new ArrayBufferWriter<byte>(1024);
            await _callGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _session.HandleMessageAsync(request.WrittenMemory, response, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _callGate.Release();
            }

            using var document = JsonDocument.Parse(response.WrittenMemory);
            var answer = document.RootElement;
            if (attempt < 4
                && answer.TryGetProperty("error"u8, out var error)
                && error.TryGetProperty("code"u8, out var code) && code.GetInt32() == RateLimitedCode
                && error.TryGetProperty("data"u8, out var data) && data.TryGetProperty("retry_after_ms"u8, out var retry) && retry.TryGetInt32(out var ms))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(ms, 1, 5000)), _time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            return answer.Clone();
        }
    }

    /// <summary>The <c>result</c> of a call, or its <c>error</c> when it failed.</summary>
    public async Task<(JsonElement? Result, JsonElement? Error)> ResultAsync(string method, Action<Utf8JsonWriter>? writeParams, CancellationToken cancellationToken)
    {
        var answer = await CallAsync(method, writeParams, cancellationToken).ConfigureAwait(false);
        if (answer.TryGetProperty("result"u8, out var result))
        {
            return (result, null);
        }

        return (null, answer.TryGetProperty("error"u8, out var error) ? error : answer);
    }

    public void Dispose()
    {
        _notifications.Writer.TryComplete();
        _session.Dispose();
        _callGate.Dispose();
    }
}
