using CameraService.Host.Configuration;
using Microsoft.Extensions.Options;

namespace CameraService.Host.Commands;

/// <summary>
/// The one place that turns a configuration failure — a host rule (<see cref="ConfigurationException"/>), an options
/// validator (<see cref="OptionsValidationException"/>) or a value the binder cannot convert — into the one line
/// <c>Configuration error: &lt;key&gt;: &lt;rule&gt;</c> and exit code 2, for every command.
/// </summary>
internal static class ConfigurationErrors
{
    /// <summary>The operator's line for <paramref name="exception"/>, or null when it is no configuration failure.</summary>
    public static string? Describe(Exception exception) => exception switch
    {
        ConfigurationException ex => ex.Message,
        OptionsValidationException ex => string.Join("; ", ex.Failures),
        _ => OptionsBindingErrors.Describe(exception),
    };

    /// <summary>Writes the line to stderr when <paramref name="exception"/> is a configuration failure.</summary>
    public static bool TryReport(Exception exception)
    {
        if (Describe(exception) is not { } line)
        {
            return false;
        }

        Console.Error.WriteLine($"Configuration error: {line}");
        return true;
    }

    /// <summary>Runs a synchronous command; a configuration failure becomes the one line and exit code 2.</summary>
    public static int Guard(Func<int> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            return action();
        }
        catch (Exception ex) when (TryReport(ex))
        {
            return ExitCodes.ConfigurationError;
        }
    }
}
