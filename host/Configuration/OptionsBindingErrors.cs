using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using CameraService.Shared;

namespace CameraService.Host.Configuration;

/// <summary>
/// Turns the configuration binder's failure (a value of an options class of the core or of any plugin that cannot be
/// converted to the property's type) into the one line the operator needs: the key and the forms it accepts.
/// The binder names the key, the value and the target type in its message; the type decides the accepted forms.
/// </summary>
internal static partial class OptionsBindingErrors
{
    /// <summary>The one-line description of the first binding failure in <paramref name="exception"/>'s chain, or null.</summary>
    public static string? Describe(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is AggregateException aggregate && aggregate.InnerExceptions.Select(Describe).FirstOrDefault(d => d is not null) is { } inner)
            {
                return inner;
            }

            if (e is InvalidOperationException && FailedBinding().Match(e.Message) is { Success: true } m)
            {
                var type = m.Groups["type"].Value;
                return $"{m.Groups["key"].Value}: must be {AcceptedForms(type)} (got '{m.Groups["value"].Value}')";
            }
        }

        return null;
    }

    /// <summary>What a value of the named type looks like in configuration.</summary>
    internal static string AcceptedForms(string typeName) => typeName switch
    {
        "System.TimeSpan" => DurationText.AcceptedForms,
        "System.Boolean" => "true or false",
        "System.Byte" or "System.SByte" or "System.Int16" or "System.UInt16" or "System.Int32" or "System.UInt32" or "System.Int64" or "System.UInt64" =>
            "a whole number, e.g. 10",
        "System.Single" or "System.Double" or "System.Decimal" => "a number, e.g. 2.5",
        "System.Uri" => "an absolute URL, e.g. http://127.0.0.1:9997",
        "System.Guid" => "a GUID",
        _ when FindEnum(typeName) is { } e => "one of " + string.Join(", ", Enum.GetNames(e)),
        _ => "a value of type " + typeName,
    };

    /// <summary>An enum of the host, the core or a loaded plugin (plugins live in their own load contexts).</summary>
    private static Type? FindEnum(string fullName) =>
        AssemblyLoadContext.All
            .SelectMany(context => context.Assemblies)
            .Select(assembly => TryGetType(assembly, fullName))
            .FirstOrDefault(type => type is { IsEnum: true });

    private static Type? TryGetType(Assembly assembly, string fullName)
    {
        try
        {
            return assembly.GetType(fullName, throwOnError: false);
        }
        catch (Exception ex) when (ex is FileLoadException or FileNotFoundException or BadImageFormatException)
        {
            return null; // an assembly whose dependencies cannot be resolved holds none of our enums
        }
    }

    // The binder's message: "Failed to convert configuration value '<value>' at '<key>' to type '<type>'."
    [GeneratedRegex(@"^Failed to convert configuration value '(?<value>.*)' at '(?<key>[^']*)' to type '(?<type>[^']+)'\.$", RegexOptions.Singleline)]
    private static partial Regex FailedBinding();
}
