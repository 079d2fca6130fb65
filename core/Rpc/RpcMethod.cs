using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using CameraService.Abstractions.Api;

namespace CameraService.Core.Rpc;

/// <summary>The minimum role a method needs; <see cref="None"/> means callable without a session.</summary>
internal enum RpcRole
{
    None = 0,
    Viewer = ApiRole.Viewer,
    Operator = ApiRole.Operator,
    Admin = ApiRole.Admin,
}

/// <summary>JSON types a parameter may have.</summary>
internal enum RpcParamType
{
    String,
    Integer,
    Number,
    Boolean,
    StringArray,
    Object,

    /// <summary>An array of objects, each checked against <see cref="RpcParam.Properties"/> (Minimum/Maximum: item count).</summary>
    ObjectArray,
}

/// <summary>
/// One parameter of a method. The processor validates every call against it before the handler runs, and the
/// OpenRPC document describes it, so the two cannot drift.
/// </summary>
/// <param name="Name">The JSON name.</param>
/// <param name="Type">The JSON type.</param>
/// <param name="Description">What it means (shown in the OpenRPC document).</param>
/// <param name="Required">Whether it must be present.</param>
internal sealed record RpcParam(string Name, RpcParamType Type, string Description, bool Required = false)
{
    /// <summary>Inclusive lower bound of a number.</summary>
    public double? Minimum { get; init; }

    /// <summary>Inclusive upper bound of a number.</summary>
    public double? Maximum { get; init; }

    /// <summary>A regular expression a string (or each string of an array) must match.</summary>
    public string? Pattern { get; init; }

    /// <summary>The allowed values of a string (or of each string of an array).</summary>
    public IReadOnlyList<string>? Enum { get; init; }

    /// <summary>Maximum length of a string in UTF-8 bytes.</summary>
    public int? MaxLength { get; init; }

    /// <summary>The value used when absent (documented; handlers read it through <see cref="RpcParams"/>).</summary>
    public object? Default { get; init; }

    /// <summary>Members of an <see cref="RpcParamType.Object"/>; unknown members are rejected.</summary>
    public IReadOnlyList<RpcParam>? Properties { get; init; }

    /// <summary>
    /// For an <see cref="RpcParamType.Object"/> without <see cref="Properties"/>: a map with free member names whose
    /// values are integers, booleans or strings (e.g. control values by name); the handler checks the names.
    /// </summary>
    public bool FreeMap { get; init; }

    /// <summary>Whether <c>null</c> is accepted as "absent".</summary>
    public bool Nullable { get; init; }

    private Regex? _regex;

    internal Regex? Regex => Pattern is null ? null : _regex ??= new Regex(Pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromMilliseconds(100));
}

/// <summary>Handles a validated call.</summary>
internal delegate ValueTask<RpcResult> RpcHandler(RpcCallContext context, RpcParams parameters, CancellationToken cancellationToken);

/// <summary>
/// A method of the API: its name, minimum role, parameters, result type and errors, and its handler.
/// Register methods through an <see cref="IRpcMethodProvider"/>. The OpenRPC document's result schema is generated
/// from <paramref name="Result"/> (<see cref="RpcResultSchema"/>): write the result record, pass its source-generated
/// <see cref="JsonTypeInfo"/> here and to <see cref="RpcResult.From{T}"/> in the handler.
/// </summary>
/// <param name="Name">The method name.</param>
/// <param name="MinRole">The minimum role.</param>
/// <param name="Summary">One line for the OpenRPC document.</param>
/// <param name="Params">The named parameters; anything else is rejected.</param>
/// <param name="Result">The result type's metadata, from which the result schema is generated.</param>
/// <param name="Errors">The error codes the method may answer with, besides the generic ones.</param>
/// <param name="Handler">The implementation.</param>
internal sealed record RpcMethod(
    string Name,
    RpcRole MinRole,
    string Summary,
    IReadOnlyList<RpcParam> Params,
    JsonTypeInfo Result,
    IReadOnlyList<int> Errors,
    RpcHandler Handler);

/// <summary>The result of <c>ping</c>: the string <c>"pong"</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PingReply>))]
internal enum PingReply
{
    [JsonStringEnumMemberName("pong")]
    Pong,
}

/// <summary>Contributes methods to the method table. Register implementations as singletons in DI.</summary>
internal interface IRpcMethodProvider
{
    /// <summary>The methods; names must be unique across all providers.</summary>
    IEnumerable<RpcMethod> GetMethods();
}

/// <summary>What a handler knows about the caller.</summary>
/// <param name="session">The session making the call.</param>
internal sealed class RpcCallContext(RpcSession session)
{
    private string? _requestId;

    /// <summary>The session making the call.</summary>
    public RpcSession Session { get; } = session;

    /// <summary>An id of this call for logs (not the JSON-RPC id), made on first use so the hot path does not pay for it.</summary>
    public string RequestId => _requestId ??= Guid.NewGuid().ToString("N");
}

/// <summary>A method's successful result, written after the handler returned so a failing handler never leaves half a response.</summary>
internal abstract class RpcResult
{
    /// <summary>The answer of <c>ping</c>, serialized once.</summary>
    public static RpcResult Pong { get; } = new RawResult(JsonSerializer.SerializeToUtf8Bytes(PingReply.Pong, CoreJsonContext.Default.PingReply));

    public abstract void Write(Utf8JsonWriter writer);

    /// <summary>A result serialized with source-generated metadata (no reflection).</summary>
    public static RpcResult From<T>(T value, JsonTypeInfo<T> typeInfo) => new TypedResult<T>(value, typeInfo);

    /// <summary>A result that is already UTF-8 JSON.</summary>
    public static RpcResult Raw(ReadOnlyMemory<byte> utf8Json) => new RawResult(utf8Json);

    /// <summary>A result written by a callback.</summary>
    public static RpcResult Custom(Action<Utf8JsonWriter> write) => new CustomResult(write);

    private sealed class TypedResult<T>(T value, JsonTypeInfo<T> typeInfo) : RpcResult
    {
        public override void Write(Utf8JsonWriter writer) => JsonSerializer.Serialize(writer, value, typeInfo);
    }

    private sealed class RawResult(ReadOnlyMemory<byte> json) : RpcResult
    {
        public override void Write(Utf8JsonWriter writer) => writer.WriteRawValue(json.Span, skipInputValidation: true);
    }

    private sealed class CustomResult(Action<Utf8JsonWriter> write) : RpcResult
    {
        public override void Write(Utf8JsonWriter writer) => write(writer);
    }
}

/// <summary>The validated named parameters of a call.</summary>
internal readonly struct RpcParams(JsonElement element, bool present)
{
    public static RpcParams Empty => default;

    public bool TryGet(string name, out JsonElement value)
    {
        if (present && element.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        value = default;
        return false;
    }

    public bool Has(string name) => TryGet(name, out _);

    public string? GetString(string name) => TryGet(name, out var v) ? v.GetString() : null;

    public string GetRequiredString(string name) =>
        GetString(name) ?? throw RpcErrorException.InvalidParams(name, "required");

    public long? GetInt64(string name) => TryGet(name, out var v) ? v.GetInt64() : null;

    public double? GetDouble(string name) => TryGet(name, out var v) ? v.GetDouble() : null;

    public bool? GetBoolean(string name) => TryGet(name, out var v) ? v.GetBoolean() : null;

    public IReadOnlyList<string>? GetStringArray(string name)
    {
        if (!TryGet(name, out var v))
        {
            return null;
        }

        var list = new List<string>(v.GetArrayLength());
        foreach (var item in v.EnumerateArray())
        {
            list.Add(item.GetString()!);
        }

        return list;
    }

    public RpcParams GetObject(string name) => TryGet(name, out var v) ? new RpcParams(v, true) : default;
}
