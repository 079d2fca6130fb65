using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Shared;

/// <summary>
/// The background loops of one plugin component (a store's space monitor, a source's hot-plug listeners, a bridge's
/// connect loop …), started together and stopped together. It is the one implementation of "run this on the thread
/// pool until stop, log what escapes, and let <c>StopAsync</c> wait for all of it" for every plugin (compiled into
/// each, as plugins reference nothing but the abstractions); the components only say what a loop does.
/// </summary>
/// <remarks>
/// A component calls <see cref="Start"/> once per start (a stopped component may be started again), adds its loops,
/// and calls <see cref="StopAsync"/> from its own stop. Three shapes cover every loop the plugins have:
/// <list type="bullet">
/// <item><see cref="Run"/>: a loop that ends by itself or at stop; an unexpected failure is logged and ends it.</item>
/// <item><see cref="RunGuarded"/>: a loop that must survive any failure (a broker that went away): the failure is logged
/// and the loop restarted after a pause.</item>
/// <item><c>RunEvery</c>: a periodic tick; a failing tick is logged and the next one runs as planned.</item>
/// </list>
/// </remarks>
internal sealed partial class BackgroundLoops(ILogger logger, TimeProvider time) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<Task> _tasks = [];
    private CancellationTokenSource? _stopping;

    /// <summary>True between <see cref="Start"/> and the end of <see cref="StopAsync"/>, i.e. while loops may run.</summary>
    public bool IsStarted
    {
        get
        {
            lock (_lock)
            {
                return _stopping is { IsCancellationRequested: false };
            }
        }
    }

    /// <summary>The number of loops that have not ended yet (tests use it to see that a stop really stopped them).</summary>
    public int Running
    {
        get
        {
            lock (_lock)
            {
                return _tasks.Count(task => !task.IsCompleted);
            }
        }
    }

    /// <summary>Begins a run and returns the token that is cancelled at stop.</summary>
    /// <exception cref="InvalidOperationException">The loops are already started.</exception>
    public CancellationToken Start()
    {
        lock (_lock)
        {
            if (_stopping is { IsCancellationRequested: false })
            {
                throw new InvalidOperationException("The background loops are already running; stop them before starting again.");
            }

            _stopping?.Dispose();
            _stopping = new CancellationTokenSource();
            _tasks.Clear();
            return _stopping.Token;
        }
    }

    /// <summary>Runs <paramref name="loop"/> on the thread pool until it returns or stop is requested.</summary>
    public void Run(string name, Func<CancellationToken, Task> loop) =>
        Add(token => RunOnceAsync(name, loop, token));

    /// <summary>
    /// Runs <paramref name="loop"/> until stop; when it fails or returns early it is logged and started again after
    /// <paramref name="restartDelay"/>.
    /// </summary>
    public void RunGuarded(string name, Func<CancellationToken, Task> loop, TimeSpan restartDelay) =>
        Add(async token =>
        {
            while (!token.IsCancellationRequested)
            {
                await RunOnceAsync(name, loop, token).ConfigureAwait(false);
                try
                {
                    await Task.Delay(restartDelay, time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });

    /// <summary>Calls <paramref name="tick"/> every <paramref name="interval"/> (first call after one interval) until stop.</summary>
    public void RunEvery(string name, TimeSpan interval, Func<CancellationToken, Task> tick) =>
        Add(async token =>
        {
            while (!token.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(interval, time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                await RunOnceAsync(name, tick, token).ConfigureAwait(false);
            }
        });

    /// <summary>The synchronous form of <see cref="RunEvery(string, TimeSpan, Func{CancellationToken, Task})"/>.</summary>
    public void RunEvery(string name, TimeSpan interval, Action tick) =>
        RunEvery(name, interval, _ =>
        {
            tick();
            return Task.CompletedTask;
        });

    /// <summary>
    /// Requests stop and waits for every loop to end (or for <paramref name="cancellationToken"/>). Safe to call
    /// more than once and before <see cref="Start"/>.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        Task[] tasks;
        lock (_lock)
        {
            if (_stopping is null)
            {
                return;
            }

            _stopping.Cancel();
            tasks = [.. _tasks];
        }

        // The loops catch their own failures, so WhenAll only ends early when the caller gives up waiting.
        await Task.WhenAll(tasks).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Requests stop without waiting (an owner's synchronous dispose); <see cref="StopAsync"/> waits.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _stopping?.Cancel();
            _stopping?.Dispose();
            _stopping = null;
        }
    }

    private void Add(Func<CancellationToken, Task> body)
    {
        lock (_lock)
        {
            var stopping = _stopping ?? throw new InvalidOperationException("Start the background loops before adding one.");
            if (stopping.IsCancellationRequested)
            {
                // Stopping: a loop added now (a retry racing the stop) would only see its token cancelled.
                return;
            }

            // Short one-shot runs (a delayed retry) come and go for the life of the component: forget the ended ones
            // so the list stays as long as what actually runs.
            if (_tasks.Count >= 32)
            {
                _tasks.RemoveAll(task => task.IsCompleted);
            }

            var token = stopping.Token;
            _tasks.Add(Task.Run(() => body(token), CancellationToken.None));
        }
    }

    private async Task RunOnceAsync(string name, Func<CancellationToken, Task> loop, CancellationToken token)
    {
        try
        {
            await loop(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // stop requested
        }
        catch (Exception ex) // the one place a background failure is caught: logged, never lost, never crashing the host
        {
            LogFailed(logger, ex, name);
        }
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Error, Message = "Background loop '{Loop}' failed; it is restarted or continues as its owner defined")]
    private static partial void LogFailed(ILogger logger, Exception exception, string loop);
}
