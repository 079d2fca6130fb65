using MediaMtxEmulator;

// Console entry: dotnet MediaMtxEmulator.dll [--api-address 127.0.0.1:9997] [--rtsp-address :8554]
//   [--recordings-root DIR] [--media] [--rtsp-server] [--report-version v1.20.1] [--no-all-others] [--version]
var options = new EmulatorOptions();
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--api-address":
            options.ApiAddress = Next();
            break;
        case "--rtsp-address":
            options.RtspAddress = Next();
            break;
        case "--recordings-root":
            options.RecordingsRoot = Path.GetFullPath(Next());
            break;
        case "--media":
            options.Media = true;
            break;
        case "--rtsp-server":
            options.RtspServer = true;
            break;
        case "--report-version":
            options.Version = Next();
            break;
        case "--no-all-others":
            options.SeedAllOthers = false;
            break;
        case "--version":
            Console.WriteLine(options.Version);
            return 0;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}");
            return 2;
    }
}

using var stop = new CancellationTokenSource();
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
{
    c.Cancel = true;
    stop.Cancel();
});
using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c =>
{
    c.Cancel = true;
    stop.Cancel();
});
await using var emulator = new Emulator(options);
var url = await emulator.StartAsync(stop.Token);
Console.WriteLine($"MediaMTX emulator {options.Version} listening on {url} (RTSP port {emulator.RtspPort})");
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
    // Ctrl+C: fall through to an orderly stop.
}

await emulator.StopAsync(CancellationToken.None);
return 0;
