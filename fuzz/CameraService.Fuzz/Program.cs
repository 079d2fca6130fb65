using System.Buffers;
using System.Text;
using CameraService.Abstractions.Api;
using CameraService.Core;
using CameraService.Core.Auth;
using CameraService.Core.Plugins;
using CameraService.Plugins.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SharpFuzz;

namespace CameraService.Fuzz;

/// <summary>
/// Fuzz targets for AFL++ through SharpFuzz: <c>rpc</c> (a JSON-RPC message through the real endpoint, as an admin
/// session), <c>filename</c> (the storage file-name rules), <c>token</c> (the signed URL token parser) and <c>mp4</c>
/// (the MP4 duration reader). An input that makes a target throw anything but the contract's errors is a crash;
/// fuzz/run.sh keeps such inputs in fuzz/regressions/&lt;target&gt;/, which the property tests replay.
/// Usage: <c>CameraService.Fuzz &lt;target&gt;</c> under afl-fuzz, or <c>CameraService.Fuzz &lt;target&gt; &lt;file&gt;</c> to replay one input.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length is < 1 or > 2 || !Targets.TryGetValue(args[0], out var factory))
        {
            Console.Error.WriteLine("usage: CameraService.Fuzz rpc|filename|token|mp4 [input-file]");
            return 2;
        }

        if (args.Length == 2)
        {
            // Replay: run an uninstrumented build (dotnet run, or the property tests); instrumented code needs AFL's map.
            factory()(File.ReadAllBytes(args[1]));
            return 0;
        }

        // The instrumented assemblies write to AFL's coverage map, which exists only inside Run (in the child process
        // SharpFuzz starts): building a target before it (the rpc and token targets build the core) crashes with an
        // access violation before the first input. So the target is built on the first input, once per process.
        Action<byte[]>? target = null;
        Fuzzer.OutOfProcess.Run(stream =>
        {
            target ??= factory();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            target(buffer.ToArray());
        });
        return 0;
    }

    private static readonly Dictionary<string, Func<Action<byte[]>>> Targets = new(StringComparer.Ordinal)
    {
        ["rpc"] = RpcTarget,
        ["filename"] = () => input => FileNameRules.DescribeInvalidFileName(Encoding.UTF8.GetString(input)),
        ["token"] = TokenTarget,
        ["mp4"] = () => input => Mp4DurationReader.TryRead(new MemoryStream(input, writable: false)),
    };

    private static Action<byte[]> RpcTarget()
    {
        var services = Core();
        var endpoint = services.GetRequiredService<IRpcEndpoint>();
        var jwt = services.GetRequiredService<JwtTokenService>().Create("fuzz", ApiRole.Admin, TimeSpan.FromHours(1));
        var session = endpoint.OpenSession(new Connection(jwt));
        return input =>
        {
            var response = new ArrayBufferWriter<byte>();
            session.HandleMessageAsync(input, response, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (response.WrittenCount > 0 && Encoding.UTF8.GetString(response.WrittenSpan).Contains("\"code\":-32603", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("internal error answered: a handler or the processor threw");
            }
        };
    }

    private static Action<byte[]> TokenTarget()
    {
        var access = Core().GetRequiredService<AccessControl>();
        return input => access.Verify("streams/camera0", Encoding.UTF8.GetString(input));
    }

    private static ServiceProvider Core()
    {
        var state = Directory.CreateTempSubdirectory("camera-service-fuzz-").FullName;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["State:Directory"] = state,
            ["Storage:Root"] = Path.Combine(state, "media"),
            ["Api:RateLimit:RequestsPerSecond"] = "1000000", // the most ApiOptions accepts: never reached by one fuzzer
            ["Api:RateLimit:Burst"] = "1000000000",
            ["Auth:JwtSecret"] = "fuzzing-secret-that-is-long-enough-for-hs256",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCameraServiceCore(configuration, new PluginCatalog([]));
        return services.BuildServiceProvider();
    }

    private sealed class Connection(string credential) : IRpcConnection
    {
        public string ConnectionId => "fuzz";

        public string? RemoteAddress => "127.0.0.1";

        public string? InitialCredential => credential;

        public bool TrySendNotification(ReadOnlySpan<byte> utf8Message) => true;

        public void Close(string reason)
        {
        }
    }
}
