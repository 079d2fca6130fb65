using System.Collections.Concurrent;
using System.Diagnostics;
using CameraService.Perf.Measurement;

namespace CameraService.Perf.Client;

/// <summary>
/// Opens N WebSocket sessions (at a bounded connect rate and parallelism), authenticates each with
/// <c>authenticate {auth_token}</c>, and records connect and authenticate latency. Failures are counted by reason,
/// not thrown: the connections scenario reports them.
/// </summary>
internal sealed class SessionPool : IAsyncDisposable
{
    private readonly ConcurrentBag<RpcConnection> _connections = [];
    private readonly ConcurrentDictionary<string, long> _failures = new(StringComparer.Ordinal);

    private SessionPool()
    {
    }

    /// <summary>The open, authenticated sessions.</summary>
    public IReadOnlyList<RpcConnection> Connections { get; private set; } = [];

    /// <summary>Failures by reason (<c>connect: …</c>, <c>authenticate: rpc:-32001</c>, …).</summary>
    public IReadOnlyDictionary<string, long> Failures => _failures;

    public long FailureCount => _failures.Values.Sum();

    public static async Task<SessionPool> OpenAsync(
        Uri uri,
        string? token,
        int count,
        double connectsPerSecond,
        int parallelism,
        TimeSpan timeout,
        IRecordSink? measurements,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var pool = new SessionPool();
        var authenticate = token is null ? null : RpcMethod.Create("authenticate", RpcMethod.StringParams("auth_token", token));
        using var gate = new SemaphoreSlim(Math.Max(1, parallelism));
        var tasks = new List<Task>(count);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            if (connectsPerSecond > 0)
            {
                // Paced from the intended start of each connect, so a slow connect does not slow the ramp.
                var due = TimeSpan.FromSeconds(i / connectsPerSecond) - Stopwatch.GetElapsedTime(started);
                if (due > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(due, TimeProvider.System, cancellationToken).ConfigureAwait(false);
                }
            }

            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            var index = i;
            tasks.Add(Task.Run(
                async () =>
                {
                    try
                    {
                        await pool.OpenOneAsync(uri, authenticate, index, timeout, measurements, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        gate.Release();
                    }
                },
                CancellationToken.None));
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        pool.Connections = [.. pool._connections.OrderBy(c => c.Index)];
        return pool;
    }

    public async ValueTask DisposeAsync()
    {
        // Close in parallel batches: 10,000 sequential closes would take long, all at once would storm the server.
        foreach (var batch in _connections.Chunk(500))
        {
            await Task.WhenAll(batch.Select(c => c.DisposeAsync().AsTask())).ConfigureAwait(false);
        }
    }

    private async Task OpenOneAsync(Uri uri, RpcMethod? authenticate, int index, TimeSpan timeout, IRecordSink? measurements, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        RpcConnection connection;
        try
        {
            connection = await RpcConnection.ConnectAsync(uri, timeout, index, cancellationToken).ConfigureAwait(false);
            measurements?.Record("(connect)", (long)Stopwatch.GetElapsedTime(start).TotalMicroseconds, "ok", true);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Every connect failure (refused, 503 before upgrade, timeout, out of sockets) is a counted result.
            var reason = "connect: " + Describe(ex);
            _failures.AddOrUpdate(reason, 1, (_, n) => n + 1);
            measurements?.Record("(connect)", (long)Stopwatch.GetElapsedTime(start).TotalMicroseconds, reason, false);
            return;
        }

        if (authenticate is not null)
        {
            var authStart = Stopwatch.GetTimestamp();
            var outcome = await connection.CallAsync(authenticate, capture: false, cancellationToken).ConfigureAwait(false);
            measurements?.Record("authenticate", authStart, outcome);
            if (!outcome.IsOk)
            {
                _failures.AddOrUpdate("authenticate: " + outcome.Label, 1, (_, n) => n + 1);
                await connection.DisposeAsync().ConfigureAwait(false);
                return;
            }
        }

        _connections.Add(connection);
    }

    private static string Describe(Exception ex)
    {
        var inner = ex;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner.GetType().Name + ": " + inner.Message;
    }
}
