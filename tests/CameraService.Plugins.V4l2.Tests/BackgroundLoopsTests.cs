using CameraService.Plugins.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CameraService.Plugins.V4l2.Tests;

/// <summary>
/// The plugins' one background-loop helper (plugins/Shared/BackgroundLoops.cs, linked into every plugin; tested here
/// through the v4l2 plugin that links it). Time is fake: a tick happens when the test advances the clock.
/// </summary>
public sealed class BackgroundLoopsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task RunEvery_TicksAsTheClockMoves_AndAFailingTickDoesNotEndTheLoop()
    {
        var time = new FakeTimeProvider();
        using var loops = new BackgroundLoops(NullLogger.Instance, time);
        loops.Start();
        var ticks = 0;
        var ticked = new SemaphoreSlim(0);
        loops.RunEvery("tick", TimeSpan.FromMinutes(1), () =>
        {
            var n = Interlocked.Increment(ref ticks);
            ticked.Release();
            if (n == 1)
            {
                throw new InvalidOperationException("first tick fails");
            }
        });

        Assert.False(await ticked.WaitAsync(TimeSpan.FromMilliseconds(50)), "no tick before the interval has passed");
        for (var i = 1; i <= 3; i++)
        {
            await AdvanceUntilAsync(time, TimeSpan.FromMinutes(1), ticked);
            Assert.True(Volatile.Read(ref ticks) >= i);
        }

        await loops.StopAsync();
        Assert.Equal(0, loops.Running);
    }

    [Fact]
    public async Task RunGuarded_FailingLoop_IsRestartedAfterThePause()
    {
        var time = new FakeTimeProvider();
        using var loops = new BackgroundLoops(NullLogger.Instance, time);
        loops.Start();
        var runs = new SemaphoreSlim(0);
        var count = 0;
        loops.RunGuarded("guarded", _ =>
        {
            Interlocked.Increment(ref count);
            runs.Release();
            throw new IOException("broker went away");
        }, TimeSpan.FromSeconds(1));

        Assert.True(await runs.WaitAsync(Wait));
        Assert.Equal(1, Volatile.Read(ref count));
        await AdvanceUntilAsync(time, TimeSpan.FromSeconds(1), runs);
        Assert.Equal(2, Volatile.Read(ref count));

        await loops.StopAsync();
        Assert.Equal(0, loops.Running);
    }

    [Fact]
    public async Task StopAsync_WaitsForEveryLoop_ThenLoopsAddedLaterDoNotRun()
    {
        using var loops = new BackgroundLoops(NullLogger.Instance, TimeProvider.System);
        loops.Start();
        var ended = 0;
        for (var i = 0; i < 3; i++)
        {
            loops.Run("waiter", async token =>
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, token);
                }
                finally
                {
                    Interlocked.Increment(ref ended);
                }
            });
        }

        Assert.Equal(3, loops.Running);
        await loops.StopAsync().WaitAsync(Wait);

        Assert.Equal(3, Volatile.Read(ref ended));
        Assert.Equal(0, loops.Running);
        var ran = false;
        loops.Run("late", _ =>
        {
            ran = true;
            return Task.CompletedTask;
        });
        Assert.Equal(0, loops.Running);
        Assert.False(ran);
    }

    [Fact]
    public void Start_Twice_Throws_AndAddBeforeStartThrows()
    {
        using var loops = new BackgroundLoops(NullLogger.Instance, TimeProvider.System);
        Assert.Throws<InvalidOperationException>(() => loops.Run("x", _ => Task.CompletedTask));
        loops.Start();
        Assert.Throws<InvalidOperationException>(() => loops.Start());
    }

    [Fact]
    public async Task Start_AfterStop_RunsAgain()
    {
        using var loops = new BackgroundLoops(NullLogger.Instance, TimeProvider.System);
        loops.Start();
        await loops.StopAsync();

        loops.Start();
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        loops.Run("again", _ =>
        {
            ran.TrySetResult();
            return Task.CompletedTask;
        });
        await ran.Task.WaitAsync(Wait);
        await loops.StopAsync();
    }

    private static async Task AdvanceUntilAsync(FakeTimeProvider time, TimeSpan step, SemaphoreSlim signal)
    {
        // The loop may not have armed its delay yet when the clock moves: advance in steps until it fires.
        using var deadline = new CancellationTokenSource(Wait);
        while (!await signal.WaitAsync(TimeSpan.FromMilliseconds(20)))
        {
            Assert.False(deadline.IsCancellationRequested, "the loop never ran");
            time.Advance(step);
        }
    }
}
