using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using CameraService.Abstractions.Api;

namespace CameraService.Benchmarks;

/// <summary>
/// One request through the core as the WebSocket transport hands it over (a complete text message → parse → envelope
/// check → authorize → rate-limit → validate → dispatch → handler → serialize into the session's response buffer).
/// The transport's framing and socket send are not in it (measured end to end by <c>perf/run.sh limit</c>).
/// </summary>
[MemoryDiagnoser]
public class RequestPathBenchmarks
{
    private static readonly byte[] Ping = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","method":"ping","id":17}""");
    private static readonly byte[] CameraList = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","method":"get_camera_list","id":18}""");
    private static readonly byte[] CameraStatus = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","method":"get_camera_status","params":{"device":"camera0"},"id":19}""");
    private static readonly byte[] Unknown = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","method":"no_such_method","id":20}""");

    private readonly ArrayBufferWriter<byte> _response = new(4096);
    private CoreFixture _core = null!;
    private IRpcSession _session = null!;

    [GlobalSetup]
    public void Setup()
    {
        _core = new CoreFixture();
        _session = _core.Authenticated(new BenchConnection("bench"));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        _core.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public int PingCall() => Call(Ping);

    [Benchmark]
    public int GetCameraList() => Call(CameraList);

    [Benchmark]
    public int GetCameraStatus() => Call(CameraStatus);

    [Benchmark]
    public int MethodNotFound() => Call(Unknown);

    /// <summary>The parse stage alone: what the processor pays before it looks at the call.</summary>
    [Benchmark]
    public int ParseOnly()
    {
        using var document = JsonDocument.Parse(CameraStatus);
        return document.RootElement.GetProperty("id"u8).GetInt32();
    }

    internal int Call(byte[] message)
    {
        _response.ResetWrittenCount();
        var pending = _session.HandleMessageAsync(message, _response, CancellationToken.None);
        if (!pending.IsCompletedSuccessfully)
        {
            pending.AsTask().GetAwaiter().GetResult();
        }

        return _response.WrittenCount;
    }

    /// <summary>The answers, for <c>check</c>.</summary>
    internal IEnumerable<(string Name, string Response)> Answers()
    {
        foreach (var (name, message) in new[] { ("ping", Ping), ("get_camera_list", CameraList), ("get_camera_status", CameraStatus), ("no_such_method", Unknown) })
        {
            Call(message);
            yield return (name, Encoding.UTF8.GetString(_response.WrittenSpan));
        }
    }
}
