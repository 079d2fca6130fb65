using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

// Usage: FixFieldNames <repository root>
// For every C# project under the root (bin/obj excluded), compiles its sources (with the BCL only: binding a simple
// name to a field, a parameter or a local does not need the other references) and renames every private, non-static,
// non-const field whose name is not _camelCase, together with every reference the compiler binds to it.
var root = Path.GetFullPath(args.Length > 0 ? args[0] : ".");
var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
    .Select(p => MetadataReference.CreateFromFile(p)).ToList();
var parse = new CSharpParseOptions(LanguageVersion.Preview, DocumentationMode.Diagnose);
var total = 0;
foreach (var project in Directory.EnumerateFiles(root, "*.csproj", SearchOption.AllDirectories).Where(p => !Excluded(p)).Order(StringComparer.Ordinal))
{
    var folder = Path.GetDirectoryName(project)!;
    var files = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
        .Where(f => !Excluded(f) && OwningProject(f) == project)
        .Concat(LinkedSources(project, root))
        .Distinct()
        .ToList();
    var trees = files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), parse, f)).ToList();
    var compilation = CSharpCompilation.Create("fix", trees, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
    var renames = new Dictionary<ISymbol, string>(SymbolEqualityComparer.Default);
    foreach (var tree in trees)
    {
        var model = compilation.GetSemanticModel(tree);
        foreach (var declarator in tree.GetRoot().DescendantNodes().OfType<VariableDeclaratorSyntax>().Where(v => v.Parent?.Parent is FieldDeclarationSyntax))
        {
            if (model.GetDeclaredSymbol(declarator) is IFieldSymbol { DeclaredAccessibility: Accessibility.Private, IsStatic: false, IsConst: false } field
                && !Regex.IsMatch(field.Name, "^_[a-z][A-Za-z0-9]*$"))
            {
                renames[field] = "_" + char.ToLowerInvariant(field.Name.TrimStart('_')[0]) + field.Name.TrimStart('_')[1..];
            }
        }
    }

    if (renames.Count == 0)
    {
        continue;
    }

    foreach (var tree in trees)
    {
        var model = compilation.GetSemanticModel(tree);
        var edits = new List<(TextSpanLike Span, string Name)>();
        // Into trivia too: <see cref="field"/> in documentation comments names the field.
        foreach (var token in tree.GetRoot().DescendantTokens(descendIntoTrivia: true).Where(t => t.IsKind(SyntaxKind.IdentifierToken)))
        {
            var node = token.Parent;
            ISymbol? symbol = node switch
            {
                VariableDeclaratorSyntax v when v.Identifier == token => model.GetDeclaredSymbol(v),
                IdentifierNameSyntax { Parent: NameMemberCrefSyntax cref } => model.GetSymbolInfo(cref).Symbol ?? model.GetSymbolInfo(cref).CandidateSymbols.FirstOrDefault(),
                IdentifierNameSyntax id => model.GetSymbolInfo(id).Symbol ?? model.GetSymbolInfo(id).CandidateSymbols.FirstOrDefault(),
                _ => null,
            };
            if (symbol is not null && renames.TryGetValue(symbol.OriginalDefinition, out var newName))
            {
                edits.Add((new TextSpanLike(token.SpanStart, token.Span.Length), newName));
            }
        }

        if (edits.Count == 0)
        {
            continue;
        }

        var text = tree.GetText().ToString();
        foreach (var (span, name) in edits.OrderByDescending(e => e.Span.Start))
        {
            text = text[..span.Start] + name + text[(span.Start + span.Length)..];
        }

        // "this._x" is now redundant: the field's name no longer collides with the parameter.
        foreach (var name in renames.Values.Distinct())
        {
            text = text.Replace("this." + name, name, StringComparison.Ordinal);
        }

        File.WriteAllText(tree.FilePath, text);
        total += edits.Count;
        Console.WriteLine($"{Path.GetRelativePath(root, tree.FilePath)}: {edits.Count} renamed");
    }
}

Console.WriteLine($"{total} identifiers renamed");
return 0;

static bool Excluded(string path) =>
    path.Split(Path.DirectorySeparatorChar).Any(s => s is "bin" or "obj" or ".git" or "FixFieldNames");

// The nearest project file above a source file.
static string? OwningProject(string file)
{
    for (var dir = Path.GetDirectoryName(file); dir is not null; dir = Path.GetDirectoryName(dir))
    {
        var project = Directory.EnumerateFiles(dir, "*.csproj").FirstOrDefault();
        if (project is not null)
        {
            return project;
        }
    }

    return null;
}

// <Compile Include="$(RepoRoot)shared/..."/> items of a project.
static IEnumerable<string> LinkedSources(string project, string root) =>
    Regex.Matches(File.ReadAllText(project), "<Compile Include=\"\\$\\(RepoRoot\\)([^\"]+)\"")
        .Select(m => Path.Combine(root, m.Groups[1].Value))
        .Where(File.Exists);

internal readonly record struct TextSpanLike(int Start, int Length);
