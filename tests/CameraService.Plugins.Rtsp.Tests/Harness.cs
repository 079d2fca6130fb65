using System.Collections.Concurrent;
using CameraService.Abstractions.Cameras;
using CameraService.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.Rtsp.Tests;

/// <summary>A source under test with its state folder, captured log lines and events.</summary>
internal sealed class Harness : IAsyncDisposable
{
    private readonly bool _ownsRoot;

    public Harness(RtspOptions? options = null, string? root = null)
    {
        _ownsRoot = root is null;
        Root = root ?? Directory.CreateTempSubdirectory("rtsp-plugin-").FullName;
        Options = options ?? Fast();
        Environment = new TestServiceEnvironment(Root);
        Directory.CreateDirectory(Environment.StateDirectory);
        Source = new RtspCameraSource(Microsoft.Extensions.Options.Options.Create(Options), Environment, new ListLogger<RtspCameraSource>(Log));
        Source.CameraChanged += (_, e) => Events.Enqueue(e);
        Source.ExternalStreamChanged += (_, e) => StreamEvents.Enqueue(e);
    }

    public string Root { get; }

    public RtspOptions Options { get; }

    public TestServiceEnvironment Environment { get; }

    public RtspCameraSource Source { get; }

    public ConcurrentQueue<string> Log { get; } = new();

    public ConcurrentQueue<CameraChangedEventArgs> Events { get; } = new();

    public ConcurrentQueue<ExternalStreamChangedEventArgs> StreamEvents { get; } = new();

    public static RtspOptions Fast() => new()
    {
        WatchInterval = TimeSpan.FromMilliseconds(300),
        InitialBackoff = TimeSpan.FromMilliseconds(200),
        MaxBackoff = TimeSpan.FromSeconds(1),
        ProbeTimeout = TimeSpan.FromSeconds(10),
    };

    public Task StartAsync() => Source.StartAsync(CancellationToken.None);

    /// <summary>Waits (bounded) for an event matching <paramref name="match"/> and returns it.</summary>
    public async Task<CameraChangedEventArgs> WaitForAsync(Func<CameraChangedEventArgs, bool> match, string what, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < until)
        {
            var hit = Events.FirstOrDefault(match);
            if (hit is not null)
            {
                return hit;
            }

            await Task.Delay(50);
        }

        throw new Xunit.Sdk.XunitException($"timed out waiting for {what}; events: {string.Join(", ", Events.Select(e => e.Kind + ":" + e.Camera.State))}\nlog:\n{string.Join("\n", Log)}");
    }

    public async ValueTask DisposeAsync()
    {
        await Source.DisposeAsync();
        if (_ownsRoot)
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}

/// <summary>A logger that keeps every formatted line (with exception text) for assertions.</summary>
internal sealed class ListLogger<T>(ConcurrentQueue<string> lines) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        lines.Enqueue($"{logLevel}: {formatter(state, exception)} {exception}");
}
