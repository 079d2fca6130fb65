using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CameraService.Perf.Client;

namespace CameraService.Perf.Chaos;

/// <summary>A call's end as the chaos workload sees it: the outcome label, and the result or error object when answered.</summary>
internal sealed record ChaosAnswer(string Label, int ErrorCode, JsonNode? Result, JsonNode? Error)
{
    public bool Ok => Label == "ok";

    /// <summary>No answer at all: the service was down or the socket dropped (expected while a fault lasts).</summary>
    public bool Unreachable => Label is "disconnected" or "timeout" or "unreachable";
}

/// <summary>
/// One authenticated API session of the chaos workload that survives service restarts: a call on a dropped socket
/// reconnects (and re-authenticates) first. Every answer is counted in the <see cref="ChaosLog"/> and checked against
/// the contract's error codes (invariant <c>api-error-codes</c>: any -32603 or unknown code is a violation, logged
/// with the request and the response).
/// </summary>
internal sealed class ChaosClient(ChaosRig rig, ChaosLog log, string name) : IAsyncDisposable
{
    /// <summary>The codes of api-contract.md §3; anything else (and -32603) is a violation.</summary>
    public static readonly IReadOnlySet<int> ContractCodes = new HashSet<int>
    {
        -32700, -32600, -32601, -32602, -32001, -32002, -32010, -32020, -32030, -32040, -32050, -32060,
    };

    public const string ErrorCodesInvariant = "api-error-codes";

    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private RpcConnection? _connection;
    private int _generation;

    public string Name { get; } = name;

    /// <summary>Called for each notification with (client name, connection generation, method, params).</summary>
    public Action<string, int, string, JsonNode?>? OnNotification { get; set; }

    /// <summary>Topics to subscribe to after every (re)connect; null = the default set.</summary>
    public IReadOnlyList<string>? Topics { get; set; }

    public async Task<ChaosAnswer> CallAsync(string method, object? parameters, CancellationToken cancellationToken)
    {
        var paramsJson = parameters is null ? null : JsonSerializer.Serialize(parameters);
        var connection = await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
        if (connection is null)
        {
            log.Request(method, "unreachable");
            return new ChaosAnswer("unreachable", 0, null, null);
        }

        var answer = await RawCallAsync(connection, method, paramsJson, cancellationToken).ConfigureAwait(false);
        log.Request(method, answer.Label);
        return answer;
    }

    /// <summary>
    /// Calls <paramref name="method"/> as a user would while a fault lasts: retried every 500 ms while the service is
    /// unreachable (a kill) or a dependency is failing (-32050), until the log's clock passes <paramref name="until"/>.
    /// Any other answer is final. Returns the last answer.
    /// </summary>
    public async Task<ChaosAnswer> CallRetryingAsync(string method, object? parameters, double until)
    {
        while (true)
        {
            var answer = await CallAsync(method, parameters, CancellationToken.None).ConfigureAwait(false);
            if (answer.Ok || !(answer.Unreachable || answer.ErrorCode == -32050) || log.Now > until)
            {
                return answer;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), TimeProvider.System, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }

        _connectLock.Dispose();
    }

    private async Task<ChaosAnswer> RawCallAsync(RpcConnection connection, string method, string? paramsJson, CancellationToken cancellationToken)
    {
        var outcome = await connection.CallAsync(RpcMethod.Create(method, paramsJson), capture: true, cancellationToken).ConfigureAwait(false);
        JsonNode? result = null;
        JsonNode? error = null;
        if (outcome.Message is { } bytes)
        {
            try
            {
                var node = JsonNode.Parse(bytes);
                result = node?["result"];
                error = node?["error"];
            }
            catch (JsonException)
            {
                log.Check(ErrorCodesInvariant, false, () => $"{method} {paramsJson}: answer is not JSON: {Encoding.UTF8.GetString(bytes)}");
            }
        }

        if (outcome.Kind == OutcomeKind.RpcError)
        {
            var code = outcome.ErrorCode;
            log.Check(ErrorCodesInvariant, ContractCodes.Contains(code), () =>
                $"{method} {paramsJson ?? "{}"} → {(outcome.Message is null ? code.ToString(System.Globalization.CultureInfo.InvariantCulture) : Encoding.UTF8.GetString(outcome.Message))}");
        }
        else if (outcome.Kind == OutcomeKind.Ok)
        {
            log.Check(ErrorCodesInvariant, true, () => string.Empty);
        }

        return new ChaosAnswer(outcome.Label, outcome.ErrorCode, result, error);
    }

    private async Task<RpcConnection?> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        var current = _connection;
        if (current is { IsOpen: true })
        {
            return current;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is { IsOpen: true })
            {
                return _connection;
            }

            if (_connection is not null)
            {
                await _connection.DisposeAsync().ConfigureAwait(false);
                _connection = null;
            }

            RpcConnection connection;
            try
            {
                connection = await RpcConnection.ConnectAsync(rig.WebSocketUri, TimeSpan.FromSeconds(10), 0, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return null;
            }

            var generation = Interlocked.Increment(ref _generation);
            connection.OnNotification = (method, message, _) =>
            {
                if (OnNotification is not { } handler)
                {
                    return;
                }

                var name = Encoding.UTF8.GetString(method);
                JsonNode? parameters;
                try
                {
                    parameters = JsonNode.Parse(message)?["params"];
                }
                catch (JsonException)
                {
                    parameters = null;
                }

                handler(Name, generation, name, parameters);
            };
            var auth = await RawCallAsync(connection, "authenticate", RpcMethod.StringParams("auth_token", rig.Token), cancellationToken).ConfigureAwait(false);
            log.Request("authenticate", auth.Label);
            if (!auth.Ok)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return null;
            }

            if (Topics is { } topics)
            {
                var subscribe = await RawCallAsync(connection, "subscribe_events", JsonSerializer.Serialize(new { topics }), cancellationToken).ConfigureAwait(false);
                log.Request("subscribe_events", subscribe.Label);
            }

            _connection = connection;
            return connection;
        }
        finally
        {
            _connectLock.Release();
        }
    }
}
