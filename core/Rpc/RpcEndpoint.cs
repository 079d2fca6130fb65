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
            // A new credential replaces the old one, role included.
            session.Principal = principal;
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
            WriteError(writer, default, new RpcErrorException(RpcErrorCodes.ParseError));
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
                WriteError(writer, default, RpcErrorException.InvalidRequest(length == 0 ? "empty_batch" : "batch_too_long"));
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
            if (idElement.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null) || !IsValidUtf8(idElement))
            {
                session.Bucket.TryTake(out _);
                return Outcome.Error(default, RpcErrorException.InvalidRequest("id_must_be_string_number_or_null"));
            }

            id = idElement;
        }

        var invalid = CheckEnvelope(call, out var methodElement, out var parameters);
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
        var methodName = methodElement.GetString()!; // valid UTF-8: checked by CheckEnvelope
        var context = new RpcCallContext(session);
        Outcome outcome;

        // Every log line written during the call (core or plugin) carries SessionId, RequestId and Method.
        using (_logger.BeginScope(new CallScope(context, _methods.TryGet(methodName, out var scoped) ? scoped.Name : "(unknown)", hasId ? id : default)))
        {
            outcome = await InvokeAsync(context, methodName, parameters, cancellationToken).ConfigureAwait(false);
        }

        // Unknown method names are folded into one label so a client cannot grow the metric set without bound.
        _metrics.RecordCall(_methods.TryGet(methodName, out var known) ? known.Name : "(unknown)", outcome.Failure?.Code ?? 0, _timeProvider.GetElapsedTime(started));
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

    private static RpcErrorException? CheckEnvelope(JsonElement call, out JsonElement method, out JsonElement? parameters)
    {
        parameters = null;
        method = default;
        if (!call.TryGetProperty("jsonrpc"u8, out var version) || version.ValueKind != JsonValueKind.String || !version.ValueEquals("2.0"u8))
        {
            return RpcErrorException.InvalidRequest("jsonrpc_must_be_2.0");
        }

        if (!call.TryGetProperty("method"u8, out method) || method.ValueKind != JsonValueKind.String || !IsValidUtf8(method))
        {
            return RpcErrorException.InvalidRequest("method_must_be_string");
        }

        if (call.TryGetProperty("params"u8, out var p))
        {
            if (p.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
            {
                return RpcErrorException.InvalidRequest("params_must_be_object");
            }

            parameters = p;
        }

        return null;
    }

    // System.Text.Json checks UTF-8 inside strings only when they are read: a string with invalid bytes would throw
    // from GetString() later (found by the property tests, issue 17). Strings are short here (id, method).
    private static bool IsValidUtf8(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            return true;
        }

        try
        {
            _ = element.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private async ValueTask<Outcome> InvokeAsync(RpcCallContext context, string name, JsonElement? parameters, CancellationToken cancellationToken)
    {
        var session = context.Session;
        if (!_methods.TryGet(name, out var method))
        {
            return Outcome.Error(default, new RpcErrorException(RpcErrorCodes.MethodNotFound, RpcErrorException.Item("method", name)));
        }

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
        catch (CameraServiceException ex) when ((mapped = Map(ex)) is not null)
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

    private static RpcErrorException? Map(CameraServiceException ex) => ex switch
    {
        ResourceNotFoundException e => new RpcErrorException(RpcErrorCodes.NotFound, RpcErrorException.Item("resource", e.Resource), RpcErrorException.Item("id", e.Id), RpcErrorException.Item("message", e.Message)),
        InvalidStateException e => new RpcErrorException(RpcErrorCodes.InvalidState, RpcErrorException.Item("reason", e.Reason), RpcErrorException.Item("state", e.State), RpcErrorException.Item("message", e.Message)),
        UnsupportedFeatureException e => new RpcErrorException(RpcErrorCodes.Unsupported, RpcErrorException.Item("feature", e.Feature), RpcErrorException.Item("message", e.Message)),
        DependencyFailedException e => new RpcErrorException(RpcErrorCodes.DependencyFailed, RpcErrorException.Item("dependency", e.Dependency), RpcErrorException.Item("detail", ErrorDetail.Redact(e.Detail))),
        InsufficientStorageException e => new RpcErrorException(RpcErrorCodes.InsufficientStorage, RpcErrorException.Item("available_bytes", e.AvailableBytes), RpcErrorException.Item("threshold_percent", e.ThresholdPercent)),
        InvalidParameterException e => RpcErrorException.InvalidParams(e.Param, e.Rule),
        _ => null,
    };

    private static string NewRequestId() => Guid.NewGuid().ToString("N");

    private static void WriteOutcome(Utf8JsonWriter writer, Outcome outcome)
    {
        if (outcome.Failure is { } error)
        {
            WriteError(writer, outcome.Id, error);
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("jsonrpc"u8, "2.0"u8);
        writer.WritePropertyName("result"u8);
        outcome.Result!.Write(writer);
        WriteId(writer, outcome.Id);
        writer.WriteEndObject();
    }

    private static void WriteError(Utf8JsonWriter writer, JsonElement id, RpcErrorException error)
    {
        writer.WriteStartObject();
        writer.WriteString("jsonrpc"u8, "2.0"u8);
        writer.WriteStartObject("error"u8);
        writer.WriteNumber("code"u8, error.Code);
        writer.WriteString("message"u8, error.Message);
        if (error.ErrorData.Count > 0)
        {
            writer.WriteStartObject("data"u8);
            error.WriteData(writer);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        WriteId(writer, id);
        writer.WriteEndObject();
    }

    private static void WriteId(Utf8JsonWriter writer, JsonElement id)
    {
        writer.WritePropertyName("id"u8);
        if (id.ValueKind == JsonValueKind.Undefined)
        {
            writer.WriteNullValue();
        }
        else
        {
            id.WriteTo(writer);
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

    /// <summary>
    /// The logging scope of one call. The request id is read only when a log line is written, so calls that log
    /// nothing do not pay for it; the JSON-RPC id is copied as raw text (it is the client's, never a credential).
    /// </summary>
    private sealed class CallScope(RpcCallContext context, string method, JsonElement rpcId) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly string? _rpcId = rpcId.ValueKind is JsonValueKind.String or JsonValueKind.Number ? rpcId.ToString() : null;

        public int Count => _rpcId is null ? 3 : 4;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("SessionId", context.Session.SessionId),
            1 => new("RequestId", context.RequestId),
            2 => new("Method", method),
            3 when _rpcId is not null => new("RpcId", _rpcId),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"session {context.Session.SessionId} request {context.RequestId} {method}";
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
