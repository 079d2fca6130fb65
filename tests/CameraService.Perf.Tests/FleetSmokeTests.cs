using System.Text.Json;
using CameraService.Perf.Fleet;
using CameraService.Perf.Scenarios;
using CameraService.Perf.Targets;
using CameraService.Plugins.Fleet;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace CameraService.Perf.Tests;

/// <summary>
/// The fleet scenario's smoke variant (what CI runs of issue 24's performance section): a real nats-server, the
/// built host as gateway and as a real node, and three simulated nodes; and the simulator's own protocol behaviour
/// against a real nats-server. Asserts completion, zero errors and that every part really ran — never a timing.
/// </summary>
public sealed class FleetSmokeTests
{
    [Fact]
    public async Task RunAsync_FleetSmoke_GatewayServesRealAndSimulatedNodesWithoutErrors()
    {
        using var results = new TempDirectory();
        var scenario = PerfRunner.All.Single(s => s.Name == "fleet");
        var options = new RunOptions
        {
            Target = TargetKind.Service,
            Service = ServiceSmokeTests.ServiceLaunch(),
            Smoke = true,
            ResultsDirectory = results.Path,
            CommandLine = "fleet --smoke --start-service",
        };
        var log = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        var (result, path) = await PerfRunner.RunAsync(scenario, options, new ScenarioSettings(), log, timeout.Token);

        Assert.True(result.Completed, log.ToString());
        Assert.True(result.TotalErrors == 0, $"{result.TotalErrors} errors:\n{log}");
        Assert.All(result.Phases, p => Assert.True(p.Errors == 0, $"phase {p.Name}: {p.Errors} errors:\n{log}"));
        Assert.Contains(result.Notes, n => n.StartsWith("protocol check: the real node's announcement and a simulated node's have the same keys", StringComparison.Ordinal));

        // The gateway routed to the real node, listed the simulated fleet and fanned out the simulated nodes' events.
        Assert.True(Phase(result, "overhead: node direct").Requests > 0, log.ToString());
        Assert.True(Phase(result, "overhead: via gateway").Requests > 0, log.ToString());
        Assert.True(Phase(result, "list: 3 nodes × 2 cameras").Requests > 0, log.ToString());
        var events = Phase(result, "events: 3 nodes, 5 clients");
        Assert.Equal(0, events.Metrics["deliveries_missing"]);
        var delivered = events.Methods.Single(m => m.Method == "notification:snapshot_taken");
        Assert.Equal((long)events.Metrics["deliveries_expected"], delivered.Ok);
        Assert.True(delivered.Ok >= 5, "no event reached the gateway's clients");
        var simulated = Phase(result, "(simulated nodes)");
        Assert.True(simulated.Metrics["requests_answered"] > 0, "no gateway request reached a simulated node");
        Assert.Equal(0, simulated.Metrics["requests_refused"]);
        Assert.True(simulated.Metrics["heartbeats"] > 0);
        Assert.NotNull(Phase(result, "idle: 3 nodes, 5 clients").Server);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(path!));
        Assert.Equal("fleet", json.RootElement.GetProperty("scenario").GetString());
    }

    [Fact]
    public async Task SimulatedNode_AnswersOnlyRequestsSignedWithTheFleetCredential()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var nats = await NatsServerProcess.StartAsync(cancel.Token);
        await using var fleet = new SimulatedFleet(nats.Url, FleetScenario.Secret, camerasPerNode: 2);
        await fleet.EnsureAsync(1, cancel.Token);
        await using var client = new NatsConnection(NatsOpts.Default with { Url = nats.Url });
        var body = """{"jsonrpc":"2.0","id":7,"method":"get_camera_list","params":{}}"""u8.ToArray();
        var subject = FleetSubjects.Rpc("sim001");

        var unsigned = await RequestAsync(client, subject, body, null, cancel.Token);
        var forged = await RequestAsync(client, subject, body, Headers(Signer("another-fleet-credential-0123456789abcdef"), body), cancel.Token);
        var genuine = await RequestAsync(client, subject, body, Headers(Signer(FleetScenario.Secret), body), cancel.Token);

        Assert.Equal(-32001, unsigned.RootElement.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal("fleet_signature_missing", unsigned.RootElement.GetProperty("error").GetProperty("data").GetProperty("reason").GetString());
        Assert.Equal("fleet_signature_invalid", forged.RootElement.GetProperty("error").GetProperty("data").GetProperty("reason").GetString());
        Assert.Equal(7, genuine.RootElement.GetProperty("id").GetInt32());
        var cameras = genuine.RootElement.GetProperty("result").GetProperty("cameras");
        Assert.Equal(2, cameras.GetArrayLength());
        Assert.Equal("simulator:sim001:0", cameras[0].GetProperty("stable_id").GetString());
        Assert.Equal(2, fleet.Refused);
        Assert.Equal(1, fleet.Requests);
    }

    [Fact]
    public async Task Fleet_WithoutStartService_ExitsOneAndSaysWhatItNeeds()
    {
        var (code, _, error) = await CommandLineTests.RunAsync("fleet", "--echo", "--smoke", "--no-results");

        Assert.Equal(1, code);
        Assert.Contains("use --start-service", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--nodes", "0", "--nodes: '0' is not a count between 1 and 999")]
    [InlineData("--nodes", "1000", "--nodes: '1000' is not a count between 1 and 999")]
    [InlineData("--client-counts", "10,x", "--client-counts: 'x' is not a count between 1 and 10000")]
    public async Task Fleet_BadCount_ExitsOneNamingTheOptionBeforeStartingAnything(string option, string value, string message)
    {
        var (code, output, error) = await CommandLineTests.RunAsync("fleet", "--start-service", "--no-results", option, value);

        Assert.Equal(1, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("nats-server on", output, StringComparison.Ordinal);
    }

    private static Results.PhaseResult Phase(Results.RunResult result, string name)
    {
        var phase = result.Phases.SingleOrDefault(p => p.Name == name);
        Assert.True(phase is not null, $"no phase '{name}'; phases: {string.Join(", ", result.Phases.Select(p => p.Name))}");
        return phase!;
    }

    private static FleetSigner Signer(string secret) =>
        new(Options.Create(new FleetOptions { Secret = secret }), TimeProvider.System);

    private static NatsHeaders Headers(FleetSigner signer, byte[] body)
    {
        var headers = new NatsHeaders();
        foreach (var (key, value) in signer.Sign("sim001", "test-gateway", "tester", "viewer", body))
        {
            headers[key] = value;
        }

        return headers;
    }

    private static async Task<JsonDocument> RequestAsync(NatsConnection client, string subject, byte[] body, NatsHeaders? headers, CancellationToken cancellationToken)
    {
        var reply = await client.RequestAsync<byte[], byte[]>(subject, body, headers, replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(10) }, cancellationToken: cancellationToken);
        return JsonDocument.Parse(reply.Data!);
    }
}
