using System.Globalization;
using CameraService.Perf.Client;

namespace CameraService.Perf.Workloads;

/// <summary>
/// A weighted method mix, e.g. <c>ping:1,get_camera_list:1,get_camera_status:1</c>; an entry may carry explicit
/// params: <c>list_recordings={"limit":50,"offset":0}:2</c>. Methods that need a camera get <c>{"device":…}</c>.
/// </summary>
internal sealed class MethodMix
{
    /// <summary>The throughput mix.</summary>
    public const string Throughput = "ping:1,get_camera_list:1,get_camera_status:1";

    private static readonly HashSet<string> DeviceMethods = new(StringComparer.Ordinal)
    {
        "get_camera_status", "get_camera_capabilities", "take_snapshot", "start_recording", "stop_recording",
        "get_recording_status", "start_streaming", "stop_streaming", "get_stream_url", "get_stream_status",
    };

    private readonly RpcMethod[] _table;

    private MethodMix(IReadOnlyList<(RpcMethod Method, int Weight)> entries)
    {
        Entries = [.. entries.Select(e => e.Method)];
        _table = [.. entries.SelectMany(e => Enumerable.Repeat(e.Method, e.Weight))];
    }

    public IReadOnlyList<RpcMethod> Entries { get; }

    /// <summary>An equal-weight mix of prepared requests (e.g. list pages with different offsets).</summary>
    public static MethodMix Of(IReadOnlyList<RpcMethod> methods)
        => methods.Count == 0 ? throw new PerfException("the method mix is empty") : new MethodMix([.. methods.Select(m => (m, 1))]);

    public RpcMethod Pick(Random random) => _table.Length == 1 ? _table[0] : _table[random.Next(_table.Length)];

    /// <summary>The default params of a method the contract knows, for camera <paramref name="device"/>.</summary>
    public static string? DefaultParams(string method, string device)
    {
        if (DeviceMethods.Contains(method))
        {
            return RpcMethod.StringParams("device", device);
        }

        return method is "list_recordings" or "list_snapshots" ? "{\"limit\":50}" : null;
    }

    public static MethodMix Parse(string spec, string device)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        var entries = new List<(RpcMethod, int)>();
        foreach (var part in SplitTopLevel(spec))
        {
            var text = part.Trim();
            var weight = 1;
            var lastColon = text.LastIndexOf(':');
            var lastBrace = text.LastIndexOf('}');
            if (lastColon > lastBrace && lastColon > 0)
            {
                if (!int.TryParse(text.AsSpan(lastColon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out weight) || weight is < 1 or > 100)
                {
                    throw new PerfException($"bad weight in mix entry '{text}': use an integer 1–100, e.g. ping:2");
                }

                text = text[..lastColon];
            }

            var equals = text.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? text : text[..equals];
            var parameters = equals < 0 ? DefaultParams(name, device) : text[(equals + 1)..];
            try
            {
                entries.Add((RpcMethod.Create(name.Trim(), parameters), weight));
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or ArgumentException)
            {
                throw new PerfException($"bad params in mix entry '{part}': {ex.Message}");
            }
        }

        return entries.Count == 0 ? throw new PerfException("the method mix is empty") : new MethodMix(entries);
    }

    private static IEnumerable<string> SplitTopLevel(string spec)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < spec.Length; i++)
        {
            depth += spec[i] switch { '{' or '[' => 1, '}' or ']' => -1, _ => 0 };
            if (spec[i] == ',' && depth == 0)
            {
                yield return spec[start..i];
                start = i + 1;
            }
        }

        if (start < spec.Length)
        {
            yield return spec[start..];
        }
    }
}
