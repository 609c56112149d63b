using Sluice.Config.Keywords;
using Sluice.Config.Model;
using Sluice.Logging;
using Sluice.Rules.Acls;
using Sluice.Rules.Samples;

namespace Sluice.Config.Sections;

/// <summary>`acl` and `use_backend`: the keywords that name ACLs and route with them.</summary>
internal static class RuleKeywordParsers
{
    public static void ParseAcl(KeywordContext ctx, ProxySection section)
    {
        if (section.Kind == ProxyKinds.Defaults)
        {
            ctx.Alert(section.Name.Length == 0
                ? "'acl' not allowed in anonymous 'defaults' section."
                : "'acl' in a 'defaults' section is not supported yet.");
            return;
        }

        var name = ctx.Argument(0);
        if (string.IsNullOrEmpty(name))
        {
            ctx.Alert("'acl' expects an ACL name followed by a fetch method and patterns.");
            return;
        }

        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
        {
            ctx.Alert($"character '{name.First(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))}' is not permitted in acl name '{name}'.");
            return;
        }

        if (PredefinedAcls.Find(name) is not null)
        {
            ctx.Warning($"acl '{name}' named like a predefined ACL; the predefined one is hidden in this section.");
        }

        var warnings = new List<string>();
        var entry = AclParser.Parse(ctx.Words, ctx.ArgumentIndex + 1, ctx.Words.Count, warnings, out var error);
        foreach (var warning in warnings)
        {
            ctx.Warning(warning);
        }

        if (entry is null)
        {
            ctx.Alert($"error detected while parsing ACL '{name}' : {error}.");
            return;
        }

        if (!section.Acls.TryGetValue(name, out var acl))
        {
            acl = new Acl(name);
            section.Acls.Add(name, acl);
        }

        acl.Add(entry);
    }

    public static void ParseUseBackend(KeywordContext ctx, ProxySection section)
    {
        if (section.Kind == ProxyKinds.Defaults)
        {
            ctx.Alert("'use_backend' not allowed in 'defaults' section.");
            return;
        }

        var name = ctx.Argument(0);
        if (string.IsNullOrEmpty(name))
        {
            ctx.Alert("'use_backend' expects a backend name.");
            return;
        }

        var site = section.Mode == ProxyMode.Http ? RuleSite.SwitchingRule : RuleSite.TcpSwitchingRule;
        Condition? condition = null;
        if (ctx.ArgumentCount > 1)
        {
            var word = ctx.Argument(1)!;
            if (word is not ("if" or "unless"))
            {
                ctx.Alert($"unexpected keyword '{word}' after switching rule, only 'if' and 'unless' are allowed.");
                return;
            }

            condition = HttpRuleParser.ParseCondition(ctx, section, ctx.ArgumentIndex + 1, "error detected while parsing switching rule", site);
            if (condition is null)
            {
                return;
            }
        }

        LogFormat? dynamicName = null;
        if (name.Contains('%', StringComparison.Ordinal))
        {
            dynamicName = LogFormat.Parse(name, site, out var error);
            if (dynamicName is null)
            {
                ctx.Alert($"error detected in {section.MessageKind} '{section.Name}' while parsing 'use_backend' rule : {error}.");
                return;
            }

            if (dynamicName.IsConstant)
            {
                name = System.Text.Encoding.Latin1.GetString(dynamicName.ConstantBytes);
                dynamicName = null;
            }
        }

        section.UseBackends.Add(new UseBackendLine(name, ctx.Location, condition, dynamicName));
    }
}
