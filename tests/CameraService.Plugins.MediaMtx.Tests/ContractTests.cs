using MediaMtxContract;
using MediaMtxEmulator;

namespace CameraService.Plugins.MediaMtx.Tests;

/// <summary>A Theory that runs only when MEDIAMTX_API_URL names a real MediaMTX (v1.15.5+ with the API on); otherwise reported skipped.</summary>
public sealed class RealMediaMtxTheoryAttribute : TheoryAttribute
{
    public RealMediaMtxTheoryAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MEDIAMTX_API_URL")))
        {
            Skip = "Set MEDIAMTX_API_URL (e.g. http://127.0.0.1:9997) to run the contract suite against a real MediaMTX.";
        }
    }
}

/// <summary>
/// The client contract (tests/MediaMtxContract, shared with the chaos tool's <c>--mediamtx</c> run): every case of
/// <see cref="MediaMtxContractCases.All"/> against the emulator (always) and a real MediaMTX (when MEDIAMTX_API_URL is
/// set; optional MEDIAMTX_API_USER / MEDIAMTX_API_PASS).
/// </summary>
public abstract class ContractSuite
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var contractCase in MediaMtxContractCases.All)
        {
            data.Add(contractCase.Name);
        }

        return data;
    }

    protected abstract Uri ApiUrl { get; }

    protected Task RunCaseAsync(string name)
        => MediaMtxContractCases.RunAsync(name, new MediaMtxTarget(ApiUrl, Environment.GetEnvironmentVariable("MEDIAMTX_API_USER"), Environment.GetEnvironmentVariable("MEDIAMTX_API_PASS")));
}

public sealed class EmulatorContractTests : ContractSuite, IAsyncLifetime
{
    private readonly Emulator _emu = new(new EmulatorOptions { ApiAddress = "127.0.0.1:0", RtspAddress = "127.0.0.1:0", RecordingsRoot = Path.GetTempPath() });

    protected override Uri ApiUrl => _emu.ApiUrl;

    public Task InitializeAsync() => _emu.StartAsync(CancellationToken.None);

    public async Task DisposeAsync() => await _emu.DisposeAsync();

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Case_HoldsAgainstTheEmulator(string name) => RunCaseAsync(name);
}

public sealed class RealMediaMtxContractTests : ContractSuite
{
    protected override Uri ApiUrl => new(Environment.GetEnvironmentVariable("MEDIAMTX_API_URL") ?? "http://127.0.0.1:9997");

    [RealMediaMtxTheory]
    [MemberData(nameof(Cases))]
    public Task Case_HoldsAgainstRealMediaMtx(string name) => RunCaseAsync(name);
}
