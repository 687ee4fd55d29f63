/**
 * ISO 3166-1 alpha-2 codes with the English short name and the aliases policies use
 * (`Burma`, `DPRK`, `UAE`, `Türkiye` ...). Names are lower case; `|` separates aliases.
 */
const COUNTRY_TABLE = `
AD andorra
AE united arab emirates|uae|u.a.e.|emirates
AF afghanistan
AG antigua and barbuda|antigua
AI anguilla
AL albania
AM armenia
AO angola
AQ antarctica
AR argentina
AS american samoa
AT austria
AU australia
AW aruba
AX aland islands|åland islands|åland
AZ azerbaijan
BA bosnia and herzegovina|bosnia-herzegovina|bosnia
BB barbados
BD bangladesh
BE belgium
BF burkina faso
BG bulgaria
BH bahrain
BI burundi
BJ benin
BL saint barthelemy|saint barthélemy|st barthelemy
BM bermuda
BN brunei darussalam|brunei
BO bolivia|plurinational state of bolivia
BQ bonaire, sint eustatius and saba|caribbean netherlands|bonaire
BR brazil
BS bahamas|the bahamas
BT bhutan
BV bouvet island
BW botswana
BY belarus|belorussia|belarusian
BZ belize
CA canada
CC cocos (keeling) islands|cocos islands
CD democratic republic of the congo|dr congo|drc|congo-kinshasa
CF central african republic
CG republic of the congo|congo-brazzaville|congo republic
CH switzerland
CI cote d'ivoire|côte d'ivoire|ivory coast
CK cook islands
CL chile
CM cameroon
CN china|people's republic of china|prc|mainland china|chinese
CO colombia
CR costa rica
CU cuba|cuban
CV cabo verde|cape verde
CW curacao|curaçao
CX christmas island
CY cyprus
CZ czechia|czech republic
DE germany
DJ djibouti
DK denmark
DM dominica
DO dominican republic
DZ algeria
EC ecuador
EE estonia
EG egypt
EH western sahara
ER eritrea
ES spain
ET ethiopia
FI finland
FJ fiji
FK falkland islands|falklands
FM micronesia|federated states of micronesia
FO faroe islands|faroes
FR france
GA gabon
GB united kingdom|uk|u.k.|great britain|britain|england|scotland|wales|northern ireland
GD grenada
GE georgia
GF french guiana
GG guernsey
GH ghana
GI gibraltar
GL greenland
GM gambia|the gambia
GN guinea
GP guadeloupe
GQ equatorial guinea
GR greece
GS south georgia and the south sandwich islands
GT guatemala
GU guam
GW guinea-bissau
GY guyana
HK hong kong
HM heard island and mcdonald islands
HN honduras
HR croatia
HT haiti
HU hungary
ID indonesia
IE ireland|republic of ireland
IL israel
IM isle of man
IN india
IO british indian ocean territory
IQ iraq
IR iran|islamic republic of iran|iranian
IS iceland
IT italy
JE jersey
JM jamaica
JO jordan
JP japan
KE kenya
KG kyrgyzstan|kyrgyz republic
KH cambodia
KI kiribati
KM comoros
KN saint kitts and nevis|st kitts and nevis
KP north korea|dprk|democratic people's republic of korea|north korean
KR south korea|republic of korea
KW kuwait
KY cayman islands
KZ kazakhstan
LA laos|lao pdr|lao people's democratic republic
LB lebanon
LC saint lucia|st lucia
LI liechtenstein
LK sri lanka
LR liberia
LS lesotho
LT lithuania
LU luxembourg
LV latvia
LY libya
MA morocco
MC monaco
MD moldova|republic of moldova
ME montenegro
MF saint martin|st martin
MG madagascar
MH marshall islands
MK north macedonia|macedonia
ML mali
MM myanmar|burma
MN mongolia
MO macao|macau
MP northern mariana islands
MQ martinique
MR mauritania
MS montserrat
MT malta
MU mauritius
MV maldives
MW malawi
MX mexico
MY malaysia
MZ mozambique
NA namibia
NC new caledonia
NE niger
NF norfolk island
NG nigeria
NI nicaragua
NL netherlands|the netherlands|holland
NO norway
NP nepal
NR nauru
NU niue
NZ new zealand
OM oman
PA panama
PE peru
PF french polynesia
PG papua new guinea
PH philippines|the philippines
PK pakistan
PL poland
PM saint pierre and miquelon
PN pitcairn|pitcairn islands
PR puerto rico
PS palestine|state of palestine|palestinian territories
PT portugal
PW palau
PY paraguay
QA qatar
RE reunion|réunion
RO romania
RS serbia
RU russia|russian federation|russian
RW rwanda
SA saudi arabia
SB solomon islands
SC seychelles
SD sudan
SE sweden
SG singapore
SH saint helena
SI slovenia
SJ svalbard and jan mayen
SK slovakia
SL sierra leone
SM san marino
SN senegal
SO somalia
SR suriname
SS south sudan
ST sao tome and principe|são tomé and príncipe
SV el salvador
SX sint maarten
SY syria|syrian arab republic|syrian
SZ eswatini|swaziland
TC turks and caicos islands
TD chad
TF french southern territories
TG togo
TH thailand
TJ tajikistan
TK tokelau
TL timor-leste|east timor
TM turkmenistan
TN tunisia
TO tonga
TR turkey|türkiye|turkiye
TT trinidad and tobago
TV tuvalu
TW taiwan
TZ tanzania|united republic of tanzania
UA ukraine
UG uganda
UM united states minor outlying islands
US united states|united states of america|usa|u.s.a.|u.s.
UY uruguay
UZ uzbekistan
VA holy see|vatican|vatican city
VC saint vincent and the grenadines|st vincent and the grenadines
VE venezuela|bolivarian republic of venezuela|venezuelan
VG british virgin islands
VI us virgin islands|u.s. virgin islands
VN vietnam|viet nam
VU vanuatu
WF wallis and futuna
WS samoa
YE yemen
YT mayotte
ZA south africa
ZM zambia
ZW zimbabwe
`;

/** Abbreviations that are also English words, matched only as written in capitals. */
const CASE_SENSITIVE_ALIASES: [string, string][] = [
  ['US', 'US'],
  ['CAR', 'CF'],
];

/** The 249 officially assigned ISO 3166-1 alpha-2 codes (user-assigned ones such as XK are not). */
export const ISO_COUNTRY_CODES: ReadonlySet<string> = new Set(
  COUNTRY_TABLE.trim()
    .split('\n')
    .map((line) => line.slice(0, 2)),
);

const ALIASES: [string, string][] = COUNTRY_TABLE.trim()
  .split('\n')
  .flatMap((line) => {
    const code = line.slice(0, 2);
    return line
      .slice(3)
      .split('|')
      .map((alias): [string, string] => [alias, code]);
  })
  // Longest first, so `south sudan` wins over `sudan` and `guinea-bissau` over `guinea`.
  .sort(([a], [b]) => b.length - a.length);

const ALIAS_PATTERN = new RegExp(
  `(?<![\\p{L}\\p{N}])(${ALIASES.map(([alias]) => escapeRegExp(alias)).join('|')})(?![\\p{L}\\p{N}])`,
  'gu',
);
const CODE_BY_ALIAS = new Map(ALIASES);

interface CountryMention {
  code: string;
  start: number;
  end: number;
}

/** Every country named in `text`, in order, with where it was named. `US dollars` names a currency, not a country. */
function findCountries(text: string): CountryMention[] {
  const lower = text.toLowerCase().replace(/[’‘]/g, "'");
  const mentions: CountryMention[] = [];
  for (const match of lower.matchAll(ALIAS_PATTERN)) {
    const code = CODE_BY_ALIAS.get(match[1] ?? '');
    if (code) mentions.push({ code, start: match.index, end: match.index + match[0].length });
  }
  for (const [alias, code] of CASE_SENSITIVE_ALIASES) {
    for (const match of text.matchAll(new RegExp(`\\b${alias}\\b(?![.$])`, 'g'))) {
      mentions.push({ code, start: match.index, end: match.index + alias.length });
    }
  }
  return mentions.filter(({ end }) => !/^\s*dollars?\b/i.test(text.slice(end))).sort((a, b) => a.start - b.start);
}

/** The distinct codes named in `text`, in order of first mention. */
export function countryCodes(text: string): string[] {
  return [...new Set(findCountries(text).map((mention) => mention.code))];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
