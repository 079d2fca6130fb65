using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using MediaMtxContract;

namespace CameraService.Perf.Chaos;

/// <summary>A bad command-line value that the chaos verb answers with one line and exit code 2 (the project's rule for bad input).</summary>
internal sealed class PerfUsageException(string message) : Exception(message);

/// <summary>
/// A real MediaMTX instead of the emulator (<c>perf/run.sh chaos --mediamtx &lt;binary&gt;</c>): the binary is checked,
/// asked for its version, and started by the rig with a config this class writes for the run — the Control API and
/// RTSP (TCP only) on the rig's free 127.0.0.1 ports, every other server off, recordings under the run's storage root,
/// any local client allowed every action — and the client contract (<see cref="MediaMtxContractCases"/>) is run
/// against it before the soak.
/// </summary>
internal static partial class RealMediaMtx
{
    /// <summary>Why <paramref name="path"/> cannot be used as a MediaMTX binary (null when it can).</summary>
    public static string? Invalid(string path)
    {
        if (Directory.Exists(path))
        {
            return $"--mediamtx: {path} is a directory; give the path of the mediamtx binary";
        }

        if (!File.Exists(path))
        {
            return $"--mediamtx: {path} does not exist; give the path of a mediamtx binary (v1.15.5 or later)";
        }

        return Access(path, ExecuteOk) == 0 ? null : $"--mediamtx: {path} is not executable (chmod +x it)";
    }

    /// <summary>What <c>mediamtx --version</c> prints (its first line), or why it printed nothing.</summary>
    public static async Task<string> VersionAsync(string binary, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--version");
        using var process = Process.Start(start) ?? throw new PerfException($"--mediamtx: could not start {binary}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new PerfException($"--mediamtx: {binary} --version did not exit within 30 s; is it a mediamtx binary?");
        }

        var text = ((await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false))).Trim();
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;
        return process.ExitCode == 0 && line.Length > 0
            ? line
            : throw new PerfException($"--mediamtx: {binary} --version exited with code {process.ExitCode} ({line}); is it a mediamtx binary?");
    }

    /// <summary>
    /// The run's mediamtx.yml. Only keys every supported MediaMTX (v1.15.5 … v1.20.x) knows — an unknown key stops
    /// MediaMTX — plus <c>moq: no</c> from v1.20.1 on (the version the emulator's config follows; its MoQ server would
    /// otherwise listen on every interface).
    /// </summary>
    public static string Config(string version, int apiPort, int rtspPort, string storageRoot)
    {
        var api = apiPort.ToString(CultureInfo.InvariantCulture);
        var rtsp = rtspPort.ToString(CultureInfo.InvariantCulture);
        var moq = AtLeast(version, 1, 20, 1) ? "moq: no\n" : string.Empty;
        return $"""
            # Written by perf/run.sh chaos for one run ({version}): loopback only, free ports, the Control API and RTSP.
            logLevel: info
            logDestinations: [stdout]
            api: yes
            apiAddress: 127.0.0.1:{api}
            metrics: no
            pprof: no
            playback: no
            rtsp: yes
            rtspAddress: 127.0.0.1:{rtsp}
            rtspTransports: [tcp]
            rtmp: no
            hls: no
            webrtc: no
            srt: no
            {moq}authMethod: internal
            authInternalUsers:
            - user: any
              pass:
              ips: []
              permissions:
              - action: publish
              - action: read
              - action: playback
              - action: api
            pathDefaults:
              recordPath: {storageRoot}/recordings/%path/%path_%Y-%m-%d_%H-%M-%S-%f
              recordFormat: fmp4
            paths:
              all_others:

            """;
    }

    /// <summary>Runs every contract case against the MediaMTX at <paramref name="api"/> (30 s at most per case).</summary>
    public static Task<IReadOnlyList<MediaMtxContractResult>> ContractAsync(Uri api, CancellationToken cancellationToken)
        => MediaMtxContractCases.RunAllAsync(new MediaMtxTarget(api), TimeSpan.FromSeconds(30), cancellationToken);

    /// <summary>Whether a version text such as <c>v1.20.1</c> is at least major.minor.patch (false when it has none).</summary>
    internal static bool AtLeast(string version, int major, int minor, int patch)
    {
        var match = Semver().Match(version);
        if (!match.Success)
        {
            return false;
        }

        var parts = Enumerable.Range(1, 3).Select(i => int.Parse(match.Groups[i].Value, CultureInfo.InvariantCulture)).ToArray();
        return (parts[0], parts[1], parts[2]).CompareTo((major, minor, patch)) >= 0;
    }

    private const int ExecuteOk = 1;

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Access(string path, int mode);

    [GeneratedRegex(@"v?(\d+)\.(\d+)\.(\d+)")]
    private static partial Regex Semver();
}
