using System.Buffers;
using System.Text;
using System.Text.Json;
using CameraService.Abstractions.Api;
using CameraService.Core.Auth;
using CameraService.Core.Rpc;
using CameraService.Tests.Shared;
using CsCheck;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Core.Tests;

/// <summary>
/// Issue 17, "bad input, tried systematically": random and mutated inputs to the JSON-RPC envelope and params
/// validation (through the real endpoint) and to the signed-token and JWT parsers. Never an exception other than
/// the contract's errors, never an internal error, never a hang. Crashing inputs found by the fuzzer
/// (fuzz/run.sh) are kept in fuzz/regressions/ and replayed here.
/// </summary>
public sealed class PropertyTests : IAsyncLifetime
{
    private static readonly string[] Seeds =
    [
        """{"jsonrpc":"2.0","method":"get_camera_list","id":1}""",
        """{"jsonrpc":"2.0","method":"get_camera_status","params":{"device":"camera0"},"id":"a"}""",
        """{"jsonrpc":"2.0","method":"list_recordings","params":{"limit":10,"offset":0,"device":"camera1"},"id":2}""",
        """{"jsonrpc":"2.0","method":"start_recording","params":{"device":"camera0","duration":30,"format":"mp4"},"id":3}""",
        """{"jsonrpc":"2.0","method":"set_retention_policy","params":{"policy_type":"age","max_age_days":7,"enabled":true},"id":4}""",
        """{"jsonrpc":"2.0","method":"subscribe_events","params":{"topics":["camera.status_change"],"filters":{"device":"camera0"}},"id":5}""",
        """[{"jsonrpc":"2.0","method":"ping","id":1},{"jsonrpc":"2.0","method":"get_status"}]""",
        """{"jsonrpc":"2.0","method":"authenticate","params":{"auth_token":"x.y.z"},"id":6}""",
        """{"jsonrpc":"2.0","method":"delete_recording","params":{"filename":"camera0_2026-01-01_00-00-00.mp4"},"id":7}""",
    ];

    private CoreHarness _core = null!;
    private IRpcSession _admin = null!;

    public async Task InitializeAsync()
    {
        _core = new CoreHarness(new Dictionary<string, string?>
        {
            ["Api:RateLimit:RequestsPerSecond"] = "1000000",
            ["Api:RateLimit:Burst"] = "1000000",
        });
        _admin = await _core.AuthenticatedAsync(ApiRole.Admin);
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    /// <summary>Random bytes and mutations (flip, insert, delete, truncate) of valid requests, at most 4 KiB.</summary>
    internal static Gen<byte[]> Inputs(IReadOnlyList<byte[]> seeds) => Gen.Frequency<byte[]>(
        (1, Gen.Byte.Array[0, 512]),
        (1, Gen.String[Gen.Char, 0, 256].Select(s => Encoding.UTF8.GetBytes(s))),
        (4, Gen.Select(Gen.Int[0, seeds.Count - 1], Gen.Select(Gen.Int[0, 3], Gen.Int[0, 4096], Gen.Byte).Array[1, 6])
            .Select((index, edits) => FuzzInputs.Mutate(seeds[index], edits))));

    [Fact]
    public async Task RpcEnvelopeAndParams_AnyInput_AnsweredWithContractErrorsOnly()
    {
        var seeds = Seeds.Select(Encoding.UTF8.GetBytes).ToList();
        await Inputs(seeds).SampleAsync(input => AssertAnsweredAsync(_admin, input), iter: 3000, threads: 1);
    }

    [Fact]
    public async Task FuzzRegressions_Rpc_Replayed()
    {
        foreach (var input in FuzzInputs.Regressions("rpc"))
        {
            await AssertAnsweredAsync(_admin, input);
        }
    }

    [Fact]
    public void ParamValidator_RandomParamsForEveryMethod_OnlyInvalidParams()
    {
        var methods = _core.Methods.Methods;
        var gen = Gen.Select(Gen.Int[0, methods.Count - 1], JsonValues(3));
        gen.Sample((index, json) =>
        {
            using var document = JsonDocument.Parse(json);
            try
            {
                RpcParamValidator.Validate(methods[index].Params, document.RootElement);
            }
            catch (RpcErrorException ex)
            {
                Assert.True(ex.Code is RpcErrorCodes.InvalidParams or RpcErrorCodes.InvalidRequest, $"{methods[index].Name} {json}: {ex.Code}");
            }
        }, iter: 5000, threads: 1);
    }

    [Fact]
    public void SignedToken_RandomAndMutated_NeverThrowsNeverVerifiesAForgery()
    {
        var access = _core.Services.GetRequiredService<AccessControl>();
        var valid = access.SignResource("streams/camera0", TimeSpan.FromMinutes(5));
        var principal = new AuthPrincipal("u", ApiRole.Viewer, null, "key_x");
        var bound = access.SignFor(principal, "streams/camera0", TimeSpan.FromMinutes(5));
        var seeds = new[] { Encoding.UTF8.GetBytes(valid), Encoding.UTF8.GetBytes(bound) };
        Inputs(seeds).Sample(input =>
        {
            var text = Encoding.UTF8.GetString(input);
            var verdict = access.Verify("streams/camera0", text);
            Assert.True(verdict is null ? SameToken(text, valid) || SameToken(text, bound) : verdict is "invalid_signature" or "expired" or "credential_revoked", text);
        }, iter: 5000, threads: 1);
    }

    [Fact]
    public async Task FuzzRegressions_Token_Replayed()
    {
        var access = _core.Services.GetRequiredService<AccessControl>();
        foreach (var input in FuzzInputs.Regressions("token"))
        {
            var check = Task.Run(() => access.Verify("streams/camera0", Encoding.UTF8.GetString(input)));
            await check.WaitAsync(TimeSpan.FromSeconds(10)); // a hang fails with TimeoutException
        }
    }

    [Fact]
    public async Task JwtParser_RandomAndMutated_NeverThrowsNeverAcceptsAForgery()
    {
        var validator = _core.Services.GetRequiredService<CredentialValidator>();
        var token = _core.Token(ApiRole.Admin);
        await Inputs([Encoding.UTF8.GetBytes(token)]).SampleAsync(async input =>
        {
            var text = Encoding.UTF8.GetString(input);
            var check = await validator.ValidateAsync(text).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(check.Principal is null || text.Trim() == token || SameSignedParts(text.Trim(), token), text);
        }, iter: 2000, threads: 1);
    }

    // Another spelling of the same token (leading zeros of the expiry, spare bits of base64url) is not a forgery.
    private static bool SameToken(string candidate, string token)
    {
        var a = candidate.Split('.');
        var b = token.Split('.');
        return a.Length == b.Length && a.Zip(b).All(p => p.First == p.Second
            || (long.TryParse(p.First, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var x) && long.TryParse(p.Second, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var y) && x == y)
            || (DecodeOrNull(p.First) is { } u && DecodeOrNull(p.Second) is { } v && u.SequenceEqual(v)));
    }

    // Base64url has spare bits in its last character: two spellings may decode to the same signed bytes.
    private static bool SameSignedParts(string candidate, string token)
    {
        var a = candidate.Split('.');
        var b = token.Split('.');
        return a.Length == 3 && b.Length == 3 && a.Zip(b).All(p => DecodeOrNull(p.First) is { } x && DecodeOrNull(p.Second) is { } y && x.SequenceEqual(y));
    }

    private static byte[]? DecodeOrNull(string part)
    {
        try
        {
            return System.Buffers.Text.Base64Url.DecodeFromChars(part);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    internal static async Task AssertAnsweredAsync(IRpcSession session, byte[] input)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var wrote = await session.HandleMessageAsync(input, buffer, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        if (!wrote)
        {
            return;
        }

        using var response = JsonDocument.Parse(buffer.WrittenMemory);
        var answers = response.RootElement.ValueKind == JsonValueKind.Array ? response.RootElement.EnumerateArray().ToList() : [response.RootElement];
        foreach (var answer in answers)
        {
            Assert.Equal("2.0", answer.GetProperty("jsonrpc").GetString());
            if (answer.TryGetProperty("error", out var error))
            {
                var code = error.GetProperty("code").GetInt32();
                Assert.Contains(code, RpcErrorCodes.All);
                Assert.True(code != RpcErrorCodes.InternalError, "internal error for input: " + Encoding.UTF8.GetString(input));
            }
            else
            {
                Assert.True(answer.TryGetProperty("result", out _));
            }
        }
    }

    /// <summary>Random JSON objects (params): the declared names with values of every type, and random names.</summary>
    private static Gen<string> JsonValues(int depth)
    {
        var names = Gen.OneOf("device", "filename", "limit", "offset", "duration", "format", "topics", "filters", "quality", "policy_type", "max_age_days", "enabled", "auth_token", "x", "");
        var scalar = Gen.OneOf<string>(
            Gen.Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Gen.Double.Select(d => double.IsFinite(d) ? d.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "0"),
            Gen.String[Gen.Char, 0, 40].Select(s => JsonSerializer.Serialize(s)),
            Gen.OneOf("true", "false", "null", "[]", "{}", "\"camera0\"", "[\"camera0\",1]", "1e308", "-0"));
        var value = depth <= 0 ? scalar : Gen.OneOf<string>(scalar, JsonValues(depth - 1));
        return Gen.Select(names, value).Array[0, 6].Select(pairs =>
            "{" + string.Join(",", pairs.DistinctBy(p => p.Item1).Select(p => JsonSerializer.Serialize(p.Item1) + ":" + p.Item2)) + "}");
    }
}
