using System.Buffers;
using System.Text.Json;
using CameraService.Abstractions.Api;
using CameraService.Core.Auth;
using CameraService.Core.Events;

namespace CameraService.Core.Rpc;

/// <summary>
/// The core's state of one connection. Messages arrive one at a time (the transport's contract), so the
/// writer and the rate limiter belong to that flow; the authentication and subscription are immutable
/// objects swapped atomically because the event hub reads them from other threads.
/// </summary>
internal sealed class RpcSession : IRpcSession
{
    private readonly RpcEndpoint _endpoint;
    private AuthPrincipal? _principal;
    private Subscription _subscription = Subscription.Initial;
    private Utf8JsonWriter? _writer;
    private int _disposed;

    public RpcSession(RpcEndpoint endpoint, IRpcConnection connection, TokenBucket bucket)
    {
        _endpoint = endpoint;
        Connection = connection;
        Bucket = bucket;
        SessionId = Guid.NewGuid().ToString("N");
    }

    public string SessionId { get; }

    public IRpcConnection Connection { get; }

    public TokenBucket Bucket { get; }

    /// <summary>Completes when the credential given at the upgrade was checked.</summary>
    public Task InitialAuthentication { get; set; } = Task.CompletedTask;

    public AuthPrincipal? Principal
    {
        get => Volatile.Read(ref _principal);
        set => Volatile.Write(ref _principal, value);
    }

    public Subscription Subscription
    {
        get => Volatile.Read(ref _subscription);
        set => Volatile.Write(ref _subscription, value);
    }

    /// <summary>The topics this session receives now: none without a valid credential, the defaults until it subscribes.</summary>
    public EventTopics EffectiveTopics(DateTimeOffset now)
    {
        var principal = Principal;
        if (principal is null || (principal.ExpiresAt is { } e && now >= e))
        {
            return EventTopics.None;
        }

        var s = Subscription;
        return s.Explicit ? s.Topics : EventTopics.Defaults;
    }

    /// <summary>Whether a notification of <paramref name="topic"/> about <paramref name="device"/> goes to this session.</summary>
    public bool WantsEvent(EventTopics topic, string? device)
    {
        var principal = Principal;
        if (principal is null)
        {
            return false;
        }

        var s = Subscription;
        var topics = s.Explicit ? s.Topics : EventTopics.Defaults;
        if ((topics & topic) == 0)
        {
            return false;
        }

        if (s.Device is { } filter && device is not null && !string.Equals(filter, device, StringComparison.Ordinal))
        {
            return false;
        }

        // A camera-scoped session never hears about the other cameras (api-contract §8.5), nor camera news that names
        // no camera (external_stream_update of a network stream found or added but not a camera yet).
        if (principal.Scope.IsLimited && (device is null ? (topic & EventTopics.Camera) != 0 : !principal.Scope.Allows(device)))
        {
            return false;
        }

        return _endpoint.IsStillValid(principal);
    }

    public ValueTask<bool> HandleMessageAsync(ReadOnlyMemory<byte> utf8Message, IBufferWriter<byte> response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _endpoint.ProcessAsync(this, utf8Message, response, cancellationToken);
    }

    /// <summary>The session's reusable writer, pointed at this message's response buffer.</summary>
    internal Utf8JsonWriter WriterFor(IBufferWriter<byte> response)
    {
        if (_writer is null)
        {
            _writer = new Utf8JsonWriter(response, new JsonWriterOptions { SkipValidation = false });
        }
        else
        {
            _writer.Reset(response);
        }

        return _writer;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _endpoint.Closed(this);
        _writer?.Dispose();
    }
}
