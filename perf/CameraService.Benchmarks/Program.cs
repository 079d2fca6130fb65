using BenchmarkDotNet.Running;

namespace CameraService.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project perf/CameraService.Benchmarks -- --filter '*'</c> runs every benchmark
/// (BenchmarkDotNet's options apply); <c>-- check</c> runs each request once and prints the answers and the bytes
/// allocated per call on this thread (a quick look without BenchmarkDotNet's minutes).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["check", ..])
        {
            return Check();
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    private static int Check()
    {
        var bench = new RequestPathBenchmarks();
        bench.Setup();
        try
        {
            foreach (var (name, response) in bench.Answers())
            {
                Console.WriteLine($"{name}: {response}");
            }

            foreach (var (name, call) in new (string, Func<int>)[] { ("ping", bench.PingCall), ("get_camera_list", bench.GetCameraList), ("get_camera_status", bench.GetCameraStatus), ("no_such_method", bench.MethodNotFound) })
            {
                for (var i = 0; i < 10_000; i++)
                {
                    call();
                }

                const int n = 100_000;
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < n; i++)
                {
                    call();
                }

                var bytes = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)n;
                Console.WriteLine($"{name}: {bytes:F0} B allocated per call");
            }
        }
        finally
        {
            bench.Cleanup();
        }

        return 0;
    }
}
