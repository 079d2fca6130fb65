using System.Buffers;
using System.Text.Json;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Core.Auth;
using CameraService.Core.Events;
using CameraService.Core.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Core.Rpc;

/// <summary>
/// The JSON-RPC 2.0 processor (api-contract.md §1–3): envelopes, batches, notifications, rate limit,
/// authentication and role checks, parameter validation from the method table, and the mapping of
/// failures to the contract's error codes. Responses are written straight into the transport's buffer.
/// </summary>
internal sealed partial class RpcEndpoint : IRpcEndpoint, ITrustedRpcEndpoint
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    private readonly RpcMethodTable _methods;
    private readonly CredentialValidator _credentials;
    private readonly EventHub _hub;
    private readonly ApiMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<RpcEndpoint> _logger;
    private readonly ApiOptions _options;
    private readonly SessionGuard _guard;
    private readonly RpcRouters? _routers;

    public RpcEndpoint(
        RpcMethodTable methods,
        CredentialValidator credentials,
        EventHub hub,
        ApiMetrics metrics,
        IOptions<ApiOptions> options,
        TimeProvider timeProvider,
        ILogger<RpcEndpoint> logger,
        SessionGuard guard,
        RpcRouters? routers = null)
    {
        _guard = guard;
        ArgumentNullException.ThrowIfNull(options);
        _methods = methods;
        _credentials = credentials;
        _hub = hub;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
        _options = options.Value;
        _routers = routers is { Any: true } ? routers : null;
    }

    public IRpcSession OpenSession(IRpcConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var bucket = new TokenBucket(_options.RateLimit.RequestsPerSecond, _options.RateLimit.Burst, _timeProvider);
        var session = new RpcSession(this, connection, bucket);
        _metrics.ConnectionOpened();
        _hub.Add(session);
        LogSessionOpened(_logger, session.SessionId, connection.ConnectionId, connection.RemoteAddress);
        _guard.ArmUnauthenticatedTimeout(session);
        if (!string.IsNullOrWhiteSpace(connection.InitialCredential))
        {
            session.InitialAuthentication = AuthenticateInitialAsync(session, connection.InitialCredential);
        }

        return session;
    }

    public IRpcSession OpenTrustedSession(IRpcConnection connection, TrustedPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(principal);
        if (!Enum.IsDefined(principal.Role))
        {
            throw new ArgumentOutOfRangeException(nameof(principal), principal.Role, "unknown role");
        }

        var bucket = new TokenBucket(_options.RateLimit.RequestsPerSecond, _options.RateLimit.Burst, _timeProvider);
        var session = new RpcSession(this, connection, bucket)
        {
            Principal = new AuthPrincipal(principal.UserId, principal.Role, ExpiresAt: null, ApiKeyId: null)
            {
                Trusted = true,
                Scope = CameraScope.Of(principal.Cameras),
            },
        };
        _metrics.ConnectionOpened();
        _hub.Add(session);
        LogSessionOpened(_logger, session.SessionId, connection.ConnectionId, connection.RemoteAddress);
        LogAuthenticated(_logger, session.SessionId, principal.UserId, Roles.Name(principal.Role));
        return session;
    }

    /// <summary>Authenticates a session (the <c>authenticate</c> method and the upgrade's Bearer credential).</summary>
    public async ValueTask<CredentialCheck> AuthenticateAsync(RpcSession session, string credential)
    {
        var check = await _credentials.ValidateAsync(credential).ConfigureAwait(false);
        if (check.Principal is { } principal)
        {
            // A new credential replaces the old one, role included. The unauthenticated timeout's timer has nothing
            // left to do: stop it now rather than keep one timer per authenticated session until it fires (issue 26).
            session.Principal = principal;
            _guard.Disarm(session);
            LogAuthenticated(_logger, session.SessionId, principal.UserId, Roles.Name(principal.Role));
        }
        else
        {
            // A failed re-authentication must not leave the old credential in force (api-contract §8.5).
            if (session.Principal is not null)
            {
                session.Principal = null;
                _guard.ArmUnauthenticatedTimeout(session);
            }

            LogAuthenticationFailed(_logger, session.SessionId, check.FailureReason);
        }

        return check;
    }

    internal bool IsStillValid(AuthPrincipal principal) => _credentials.CheckStillValid(principal) is null;

    internal void Closed(RpcSession session)
    {
        _guard.Disarm(session);
        _hub.Remove(session);
        _metrics.ConnectionClosed();
        LogSessionClosed(_logger, session.SessionId);
    }

    internal async ValueTask<bool> ProcessAsync(RpcSession session, ReadOnlyMemory<byte> message, IBufferWriter<byte> response, CancellationToken cancellationToken)
    {
        if (!session.InitialAuthentication.IsCompleted)
        {
            await session.InitialAuthentication.ConfigureAwait(false);
        }

        var writer = session.WriterFor(response);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message, DocumentOptions);
        }
        catch (JsonException)
        {
            // Counts against the rate limit too, so garbage cannot be sent for free.
            session.Bucket.TryTake(out _);
            RpcEnvelope.WriteError(writer, default, new RpcErrorException(RpcErrorCodes.ParseError));
            _metrics.Record(TimeSpan.Zero, error: true);
            writer.Flush();
            return true;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                var written = await ProcessCallAsync(session, root, writer, cancellationToken).ConfigureAwait(false);
                writer.Flush();
                return written;
            }

            var length = root.GetArrayLength();
            if (length == 0 || length > _options.MaxBatchSize)
            {
                session.Bucket.TryTake(out _);
                RpcEnvelope.WriteError(writer, default, RpcErrorException.InvalidRequest(length == 0 ? "empty_batch" : "batch_too_long"));
                writer.Flush();
                return true;
            }

            var started = false;
            foreach (var element in root.EnumerateArray())
            {
                var outcome = await ExecuteAsync(session, element, cancellationToken).ConfigureAwait(false);
                if (outcome.Answer)
                {
                    if (!started)
                    {
                        writer.WriteStartArray();
                        started = true;
                    }

                    WriteOutcome(writer, outcome);
                }
            }

            if (started)
            {
                writer.WriteEndArray();
            }

            writer.Flush();
            return started;
        }
    }

    private async ValueTask<bool> ProcessCallAsync(RpcSession session, JsonElement call, Utf8JsonWriter writer, CancellationToken cancellationToken)
    {
        var outcome = await ExecuteAsync(session, call, cancellationToken).ConfigureAwait(false);
        if (!outcome.Answer)
        {
            return false;
        }

        WriteOutcome(writer, outcome);
        return true;
    }

    private async ValueTask<Outcome> ExecuteAsync(RpcSession session, JsonElement call, CancellationToken cancellationToken)
    {
        if (call.ValueKind != JsonValueKind.Object)
        {
            session.Bucket.TryTake(out _);
            return Outcome.Error(default, RpcErrorException.InvalidRequest("request_must_be_object"));
        }

        JsonElement id = default;
        var hasId = call.TryGetProperty("id"u8, out var idElement);
        if (hasId)
        {
            if (idElement.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null) || !RpcEnvelope.IsValidUtf8(idElement))
            {
                session.Bucket.TryTake(out _);
                return Outcome.Error(default, RpcErrorException.InvalidRequest("id_must_be_string_number_or_null"));
            }

            id = idElement;
        }

        var invalid = RpcEnvelope.Check(call, out var methodElement, out var parameters);
        if (!session.Bucket.TryTake(out var retryAfterMs))
        {
            // A limited notification is dropped silently like any notification outcome.
            var limited = new RpcErrorException(RpcErrorCodes.RateLimited, RpcErrorException.Item("retry_after_ms", retryAfterMs));
            _metrics.RecordRateLimited();
            return !hasId && invalid is null ? Outcome.None : Outcome.Error(id, limited);
        }

        if (invalid is not null)
        {
            // An invalid envelope is not a valid notification: it is always answered (JSON-RPC 2.0 §5).
            return Outcome.Error(id, invalid);
        }

        var started = _timeProvider.GetTimestamp();
        var known = FindMethod(methodElement);
        var context = new RpcCallContext(session);
        Outcome outcome;

        // Every log line written during the call (core or plugin) carries SessionId, RequestId and Method.
        using (_logger.BeginScope(new RpcCallScope(context, known?.Name ?? "(unknown)", hasId ? id : default)))
        {
            outcome = await InvokeAsync(context, known, methodElement, parameters, cancellationToken).ConfigureAwait(false);
        }

        // Unknown method names are folded into one label so a client cannot grow the metric set without bound.
        _metrics.RecordCall(known?.Name ?? "(unknown)", outcome.Failure?.Code ?? 0, _timeProvider.GetElapsedTime(started));
        if (known is not null)
        {
            _guard.Audit(session, known, parameters, outcome.Failure);
        }

        if (!hasId)
        {
            return Outcome.None;
        }

        return outcome with { Id = id, Answer = true };
    }

    /// <summary>
    /// The method a call names, looked up without making a string of its name: the name's UTF-8 (valid, checked by
    /// <see cref="RpcEnvelope.Check"/>) is decoded onto the stack and found through the table's span lookup.
    /// </summary>
    private RpcMethod? FindMethod(JsonElement methodElement)
    {
        const int MaxStackName = 64;
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(methodElement);
        if (raw.Length >= 2 && raw.Length - 2 <= MaxStackName && raw[1..^1].IndexOf((byte)'\\') < 0)
        {
            Span<char> name = stackalloc char[MaxStackName];
            var length = System.Text.Encoding.UTF8.GetChars(raw[1..^1], name);
            return _methods.TryGet(name[..length], out var found) ? found : null;
        }

        // Escaped or long names (never a real method's): the plain way.
        return _methods.TryGet(methodElement.GetString()!, out var method) ? method : null;
    }

    private async ValueTask<Outcome> InvokeAsync(RpcCallContext context, RpcMethod? method, JsonElement methodElement, JsonElement? parameters, CancellationToken cancellationToken)
    {
        var session = context.Session;
        if (method is null)
        {
            return Outcome.Error(default, new RpcErrorException(RpcErrorCodes.MethodNotFound, RpcErrorException.Item("method", methodElement.GetString())));
        }

        var name = method.Name;

        if (method.MinRole != RpcRole.None)
        {
            var principal = session.Principal;
            if (principal is null)
            {
                return Outcome.Error(default, RpcErrorException.AuthFailed("auth_required"));
            }

            if (_credentials.CheckStillValid(principal) is { } reason)
            {
                return Outcome.Error(default, RpcErrorException.AuthFailed(reason));
            }

            if ((int)principal.Role < (int)method.MinRole)
            {
                return Outcome.Error(default, new RpcErrorException(
                    RpcErrorCodes.PermissionDenied,
                    RpcErrorException.Item("required_role", method.MinRole.ToString().ToLowerInvariant()),
                    RpcErrorException.Item("role", Roles.Name(principal.Role))));
            }
        }

        RpcErrorException? mapped = null;
        var caller = CallerContext.Current;
        CallerContext.Current = session.Principal;
        try
        {
            RpcParamValidator.Validate(method.Params, parameters);
            SessionGuard.CheckScope(session.Principal, parameters);
            var args = parameters is { ValueKind: JsonValueKind.Object } p ? new RpcParams(p, true) : RpcParams.Empty;
            if (_routers is not null && await _routers.TryRouteAsync(context, method, parameters, args, cancellationToken).ConfigureAwait(false) is { } routed)
            {
                return Outcome.Success(routed);
            }

            var result = await method.Handler(context, args, cancellationToken).ConfigureAwait(false);
            return Outcome.Success(result);
        }
        catch (RpcErrorException ex)
        {
            return Outcome.Error(default, ex);
        }
        catch (CameraServiceException ex) when ((mapped = RpcErrorException.FromSdk(ex)) is not null)
        {
            return Outcome.Error(default, mapped);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (InvalidOperationException ex) when (ex.InnerException is System.Text.DecoderFallbackException)
        {
            // A parameter string with invalid UTF-8 (System.Text.Json throws only when it is read).
            return Outcome.Error(default, RpcErrorException.InvalidParams(null, "strings must be valid UTF-8"));
        }
        catch (Exception ex) // a bug in a handler: answer -32603 with an id that ties the answer to this log entry, never the exception text
        {
            LogInternalError(_logger, ex, name, context.RequestId, session.SessionId);
            return Outcome.Error(default, new RpcErrorException(RpcErrorCodes.InternalError, RpcErrorException.Item("request_id", context.RequestId)));
        }
        finally
        {
            CallerContext.Current = caller;
        }
    }

    private static string NewRequestId() => Guid.NewGuid().ToString("N");

    private static void WriteOutcome(Utf8JsonWriter writer, Outcome outcome)
    {
        if (outcome.Failure is { } error)
        {
            RpcEnvelope.WriteError(writer, outcome.Id, error);
        }
        else
        {
            RpcEnvelope.WriteResult(writer, outcome.Id, outcome.Result!);
        }
    }

    private async Task AuthenticateInitialAsync(RpcSession session, string credential)
    {
        try
        {
            await AuthenticateAsync(session, credential).ConfigureAwait(false);
        }
        catch (Exception ex) // a failing check leaves the session unauthenticated; the client can still call authenticate
        {
            LogInternalError(_logger, ex, "authenticate(bearer)", NewRequestId(), session.SessionId);
        }
    }

    private readonly record struct Outcome(bool Answer, JsonElement Id, RpcResult? Result, RpcErrorException? Failure)
    {
        public static Outcome None => default;

        public static Outcome Error(JsonElement id, RpcErrorException error) => new(true, id, null, error);

        public static Outcome Success(RpcResult result) => new(true, default, result, null);
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "Internal error in {Method} (request_id {RequestId}, session {SessionId})")]
    private static partial void LogInternalError(ILogger logger, Exception exception, string method, string requestId, string sessionId);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, Message = "Session {SessionId} opened for connection {ConnectionId} from {RemoteAddress}")]
    private static partial void LogSessionOpened(ILogger logger, string sessionId, string connectionId, string? remoteAddress);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Debug, Message = "Session {SessionId} closed")]
    private static partial void LogSessionClosed(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "Session {SessionId} authenticated as {UserId} ({Role})")]
    private static partial void LogAuthenticated(ILogger logger, string sessionId, string userId, string role);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Session {SessionId} failed to authenticate: {Reason}")]
    private static partial void LogAuthenticationFailed(ILogger logger, string sessionId, string? reason);
}
