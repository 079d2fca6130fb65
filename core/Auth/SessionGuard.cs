using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using CameraService.Core.Rpc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Core.Auth;

/// <summary>
/// The session-level rules of api-contract §8.5 that the RPC endpoint applies around every call: the
/// unauthenticated timeout, the per-camera scope of a call's <c>device</c>/<c>filename</c>, and the audit trail of
/// state-changing calls.
/// </summary>
internal sealed partial class SessionGuard : IDisposable
{
    /// <summary>The log category of the audit trail, so operators can route it on its own (e.g. to a file or syslog).</summary>
    public const string AuditCategory = "CameraService.Audit";

    /// <summary>The meter of the audit counter (exported at <c>/metrics</c> like every <c>CameraService.*</c> meter).</summary>
    public const string MeterName = "CameraService.Audit";

    // The parameters that name what a call acts on, in order of preference.
    private static readonly string[] TargetParams = ["device", "filename", "stream_url", "stream_name"];

    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _unauthenticatedTimeout;
    private readonly ILogger _audit;
    private readonly ILogger<SessionGuard> _logger;
    private readonly ConcurrentDictionary<RpcSession, ITimer> _timers = new();
    private readonly Meter _meter = new(MeterName, "1.0");
    private readonly Counter<long> _auditEvents;

    public SessionGuard(IOptions<AuthOptions> options, TimeProvider timeProvider, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        _timeProvider = timeProvider;
        _unauthenticatedTimeout = options.Value.UnauthenticatedTimeout;
        _audit = loggers.CreateLogger(AuditCategory);
        _logger = loggers.CreateLogger<SessionGuard>();
        _auditEvents = _meter.CreateCounter<long>("camera_service.audit.events", description: "State-changing calls written to the audit log, by method and outcome");
    }

    /// <summary>
    /// Closes the session with 1008 when it is still unauthenticated after <c>Auth:UnauthenticatedTimeout</c>: a
    /// client without a credential may not hold a socket (and its queue) forever.
    /// </summary>
    public void ArmUnauthenticatedTimeout(RpcSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var timer = _timeProvider.CreateTimer(static state =>
        {
            var (guard, s) = ((SessionGuard, RpcSession))state!;
            guard.Expire(s);
        }, (this, session), _unauthenticatedTimeout, Timeout.InfiniteTimeSpan);
        if (_timers.TryGetValue(session, out var old) && _timers.TryUpdate(session, timer, old))
        {
            old.Dispose();
        }
        else if (!_timers.TryAdd(session, timer))
        {
            timer.Dispose();
        }
    }

    /// <summary>Stops the session's timer (the session closed).</summary>
    public void Disarm(RpcSession session)
    {
        if (_timers.TryRemove(session, out var timer))
        {
            timer.Dispose();
        }
    }

    private void Expire(RpcSession session)
    {
        Disarm(session);
        if (session.Principal is null)
        {
            LogUnauthenticatedTimeout(_logger, session.SessionId, _unauthenticatedTimeout.TotalSeconds);
            session.Connection.Close("authentication timeout: call authenticate within " + _unauthenticatedTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) + " s");
        }
    }

    /// <summary>
    /// Refuses a call about a camera outside the caller's scope (its <c>device</c>, or the camera a <c>filename</c>
    /// belongs to) with -32002 <c>camera_not_allowed</c>, before the handler runs.
    /// </summary>
    public static void CheckScope(AuthPrincipal? principal, JsonElement? parameters)
    {
        if (principal is null || !principal.Scope.IsLimited || parameters is not { ValueKind: JsonValueKind.Object } p)
        {
            return;
        }

        if (p.TryGetProperty("device"u8, out var device) && device.ValueKind == JsonValueKind.String && !principal.Scope.Allows(device.GetString()))
        {
            throw CameraNotAllowed();
        }

        if (p.TryGetProperty("filename"u8, out var file) && file.ValueKind == JsonValueKind.String && !principal.Scope.AllowsFile(file.GetString()))
        {
            throw CameraNotAllowed();
        }

    }

    /// <summary>The error of a call about a camera outside the caller's scope.</summary>
    public static RpcErrorException CameraNotAllowed() =>
        new(RpcErrorCodes.PermissionDenied, RpcErrorException.Item("reason", "camera_not_allowed"));

    /// <summary>Whether a method changes state (and so is audited): every operator/admin method that is not a read.</summary>
    public static bool IsStateChanging(RpcMethod method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return method.MinRole >= RpcRole.Operator
            && !method.Name.StartsWith("get_", StringComparison.Ordinal)
            && !method.Name.StartsWith("list_", StringComparison.Ordinal);
    }

    /// <summary>Writes one audit event for a state-changing call: user, role, session, method, target, outcome.</summary>
    public void Audit(RpcSession session, RpcMethod method, JsonElement? parameters, RpcErrorException? failure)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!IsStateChanging(method))
        {
            return;
        }

        var principal = session.Principal;
        var outcome = failure is null ? "ok" : failure.Code switch
        {
            RpcErrorCodes.AuthenticationFailed => "unauthenticated",
            RpcErrorCodes.PermissionDenied => "denied",
            _ => "error",
        };
        string? target = null;
        if (parameters is { ValueKind: JsonValueKind.Object } p)
        {
            foreach (var name in TargetParams)
            {
                if (p.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                {
                    try
                    {
                        target = Redact(name, value.GetString());
                    }
                    catch (InvalidOperationException)
                    {
                        target = "(invalid UTF-8)"; // the call itself was answered -32602
                    }

                    break;
                }
            }
        }

        _auditEvents.Add(1, new KeyValuePair<string, object?>("method", method.Name), new KeyValuePair<string, object?>("outcome", outcome));
        LogAudit(_audit, principal?.UserId ?? "-", principal is null ? "-" : Roles.Name(principal.Role), session.SessionId, method.Name, target ?? "-", outcome, failure?.Code ?? 0);
    }

    // A stream URL may hold credentials (rtsp://user:pass@host/...): the audit log never carries them.
    private static string? Redact(string name, string? value)
    {
        if (name != "stream_url" || value is null || !Uri.TryCreate(value, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.UserInfo))
        {
            return value;
        }

        return new UriBuilder(uri) { UserName = "***", Password = string.Empty }.Uri.ToString();
    }

    public void Dispose()
    {
        foreach (var timer in _timers.Values)
        {
            timer.Dispose();
        }

        _timers.Clear();
        _meter.Dispose();
    }

    [LoggerMessage(EventId = 1130, Level = LogLevel.Information, Message = "audit user={User} role={Role} session={SessionId} method={AuditMethod} target={Target} outcome={Outcome} code={Code}")]
    private static partial void LogAudit(ILogger logger, string user, string role, string sessionId, string auditMethod, string target, string outcome, int code);

    [LoggerMessage(EventId = 1131, Level = LogLevel.Information, Message = "Session {SessionId} closed: not authenticated within {Seconds} s")]
    private static partial void LogUnauthenticatedTimeout(ILogger logger, string sessionId, double seconds);
}
