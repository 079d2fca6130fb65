using System.ComponentModel;
using System.Globalization;

namespace CameraService.Shared;

/// <summary>
/// The <see cref="TimeSpan"/> type converter of the service: the configuration binder converts every
/// <see cref="TimeSpan"/> option of the core and of every plugin with it, so <c>30s</c>, <c>5m</c> and <c>00:00:30</c>
/// bind the same way everywhere (plugins cannot reference the core; the converter reaches their options classes
/// through <see cref="TypeDescriptor"/>, which the binder consults). Compiled into the core; registered once, by the host, before anything
/// is bound (<see cref="Register"/>).
/// </summary>
internal sealed class DurationConverter : TimeSpanConverter
{
    private static int _registered;

    /// <summary>Makes this the converter of <see cref="TimeSpan"/> for the whole process; repeated calls do nothing.</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            TypeDescriptor.AddAttributes(typeof(TimeSpan), new TypeConverterAttribute(typeof(DurationConverter)));
        }
    }

    /// <inheritdoc/>
    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text
            ? DurationText.TryParse(text, out var duration) ? duration : throw new FormatException($"must be {DurationText.AcceptedForms} (got '{text}')")
            : base.ConvertFrom(context, culture, value);
}
