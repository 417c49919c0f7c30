"""The words of generated passphrases: short, plain English, one spelling each.

Derived from the EFF large word list (Electronic Frontier Foundation, CC BY 3.0 US,
https://www.eff.org/dice): only words of three to seven letters, without words that sound
like another word, American spellings, names, brands, slang, words hard to spell from
hearing, and words unsuitable in correspondence about a child's safety.
"""

from __future__ import annotations

_TEXT = """
abacus abide abiding ability ablaze able abreast abridge abroad absolve abstain absurd accent
acclaim account acetone aching acid acorn acre acrobat acronym acting action active actress
acutely aerosol afar affair affirm affix afford affront aflame afloat afoot afraid aged ageless
agency agenda agent aghast agile agility aging agony agreed aground ahead aim ajar alarm album
alfalfa algebra alias alibi aliens alike alive almanac almost aloe aloft alone aloof alto alumni
always amaze amber amends amenity amiable amid amino amiss ammonia amnesty among amount ample
amplify amply amuck amulet amused amuser amusing anagram anatomy anchor anchovy ancient android
anew angelic anger angled angler angles angling angrily angular animal animate anime ankle annex
annuity another antacid anthem anthill antics antler antonym antsy anvil anybody anyhow anymore
anyone anytime anyway apostle appear appease applaud apple applied apply approve apricot apron
aptly aqua area arena argue arise armband armed armful armhole arming armless armored armory
armrest army aroma arose around arrange array arrest arrival arrive art ascend ashamed ashen
ashes ashy aside askew asleep aspect aspire aspirin astound astride astute atlas atom atop
atrium atrophy attach attain attempt attest attic attire auction audible audibly audio author
avatar avenue average avert aviator avid avoid await awaken award aware awhile awkward awning
awoke awry axis babble babied baboon backed backer backing backlit backlog backup bacon badge
badland badly badness baffle bagful baggage bagged bagging baggy bagpipe baked bakery baking
balance balcony balmy bamboo banana banish banjo banked banker banking banner banter barbed
barbell barber barcode barge barista barley barmaid barman barn barrack barrel barrier bash
basics basil basin basis basket batboy batch bath baton bats battery batting battle bauble
blabber blade blah blame blaming blank blast blazer blazing bleach bleak bleep blemish blend
bless blimp bling blinked blinker blinks blip blitz bloated blob blog blooper blot blouse bluff
bluish blunt blurb blurred blurry blurt blush boaster boat bobbed bobbing bobble bobcat bobsled
bobtail body bogged boggle bogus boil bolster bolt bonanza bonded bonding boned bonfire bonnet
bonsai bonus book booted booth booting bootleg boots borax boring boss botany botch both bottle
bottom bounce bovine boxcar boxer boxing boxlike boxy breach breath breeder breeze breezy briar
brick bride bridged brigade bright brim bring brink brisket briskly bristle brittle broaden
broadly broiler broken broker bronco bronze brook broom brought browse brunch brunt brush bubble
bubbly bucked bucket buckle budding buddy budget buffalo buffed buffer buffing buffoon buggy
bulb bulge bulk bulldog bullion bullish bullpen bunch bundle bunion bunkbed bunny bunt busboy
bush busily busload buzz cabbage cabbie cable caboose cackle cactus cadet cadmium cage cake
calcium calm caloric calorie cameo camera camper camping campus canal canary cancel candied
candle candy cane canine canned canning cannot canola canopy canteen canyon capable capably cape
capped capsize capsule caption captive capture caramel caravan carbon carded cardiac caress
cargo caring carless carload carol carpool carport carried carry carton cartoon carve carving
carwash cascade case casing casino catcher catchy caterer catfish catlike catnap catnip cattail
cattle catty catwalk caucus causal cause causing caution cavalry caviar cavity cedar celery
cement census certify chafe chain chair chamber chance change channel chant chaos chapped
chapter charger chariot charity charm charred charter chase chasing chatter chatty cheddar cheek
cheer cheese cheesy chef cherub chess chest chevron chewer chewing chewy chief chill chimp chip
chirpy choice choking chomp chooser choosy chop chosen chrome chuck chug chummy chump chunk
churn chute cider cinch cinema circle circus citable citadel citizen citric citrus city civic
civil clad claim clammy clamp clang clapped clapper clarify clarity clash clasp class clatter
clause claw clay clean clear cleat cleaver cleft clench clerk clever clicker client climate
cling clinic clip cloak clobber clock clone cloning closure clothes cloud clover clubbed clump
clumsy clunky clutch clutter coach coastal coaster coat cobalt cobbler cobweb cocoa coconut cod
coerce coexist coffee coil cola cold collage collar collide collie colony come comfort comfy
comic coming comma commend comment commode common commute company compare compel compile comply
compost comrade concave conceal concept concert concise concur condone conduit cone confess
confirm conform conical conjure consent console consult contact contend contest context contort
contour control convene convent cope copied copier copilot coping copious copper copy cork
corncob corned corner corny corral correct corrode corsage cortex cosmic cosmos cost cottage
cotton couch cough could country county courier cover coveted coyness cradle crafter crafty
cramp crane cranial cranium crank crate crave craving crayon creamed creamer crease create
credit creed crept crested crevice crewman crib cricket cried crier crimp crimson cringe crinkle
crinkly crisped crisply crispy critter croak crock croon crop cross crouch crouton crowbar crowd
crown crucial crudely crumb crumpet crunchy crushed crusher crust cryptic crystal cube cubical
cubicle culture cupcake cupid cupped cupping curable curator curdle cure curfew curing curled
curler curling curly curry cursive cursor curtain curtly curve curvy cushy custard customs cut
cycle cyclic cycling cyclist dab dad daily dainty dairy daisy dance dancing dander dandy danger
dangle dares darkish darling darn dart dash data dating dawdler dawn daybed daycare daylong
dayroom daytime dazzler deacon dealt dean debate debit debrief debtor debug debunk decade decaf
decal decay decency decent decimal deck decline decode decoy decree deduce deduct deed deem
deepen deeply deface defame default defeat defiant define deflate defog defrost deftly defuse
defy degree deity delay delete delta deluge deluxe demote denial denim denote dense density
dental dentist denture deny depict deplete deploy deport depose depress deprive depth deputy
derail derby derived deserve desktop despair despise despite destiny detail detest detract
devalue deviate device devotee diagram dial diary dice dicing dictate dig dill dilute dime dimly
dimmed dimmer dimness dimple diner dingo dining dinner diploma dipped dipper dipping disarm
disband discard discern discuss disdain dish disjoin dislike dismay dismiss disobey disown
display dispose dispute disrupt distant distort ditch ditto divided diving dizzy doable docile
dock dodge dodgy doing dole dollar dollop dolly dolphin domain donated donator donor doodle
doorman doormat doorway dorsal dosage dotted dove down drab drained drainer drank drapery
drastic draw dreaded dreamt dreamy dreary drench dress drew dribble dried drift driller drippy
driven driver driving drizzle drizzly drone drool droop dropbox droplet dropout dropper drove
drown drudge drum dry dubbed duchess ducking ducky dude duffel dugout duke duller duly duo dupe
duplex durable durably duress during dusk dust dutiful duty duvet dwelled dweller dwindle
dynamic dynasty each eagle earache eardrum earflap earful earlobe early earmark earmuff earring
earshot earthen earthly earthy earwig easeful easel easiest easily easing eatable eaten eatery
eating eats ebony ebook eclipse ecology economy edge edging edgy edition editor eel effort
egging eggnog egotism either eject elastic elated elbow elderly eldest elevate eleven elf elite
elitism elk ellipse elm elope elude elusive elves email embargo embark embassy ember emblaze
emblem embody emboss emerald emit emote emotion empathy emperor empower emptier empty enable
enamel enclose encode encore encrust encrypt ended ending endless endnote endorse energy engaged
engine engorge engross engulf enhance enjoyer enrage enrich ensnare ensure entail entire entitle
entity entrap entrust entwine envious envoy envy enzyme epic episode equal equate equator
equinox equity erased eraser erasure errand errant erratic error erupt essay essence estate
etching eternal ethanol ethics evacuee evade evasion evasive even evident evoke evolve exact
exalted example excess exclaim exclude excuse exert exhale exhaust exit exodus expand expanse
expel expend expert expire explain explode exploit explore expose express extent extinct extras
extrude fable fabric faceted facial facing faction factoid factor factual faculty fade fading
failing falcon fall false falsify fame family fancied fancy fanfare fang fanning fantasy faster
fasting faucet fax feast federal feeble feed feel feisty feline fence fencing fender ferment
ferret ferry fester festive fetch fever fiction fiddle fidgety fifteen fifth fifty figment
figure filing filled filler filling film filter finale finally finance finch finer finicky
finite finless finlike fit five flagman flail flakily flaky flame flanked flap flaring flashy
flask flatbed flatly flatten flattop fled fleshed fleshy flick flight flinch fling flint flip
float flock flop floral florist floss flyable flyaway flying flyover foam foe fog foil folic
folk follow fondly fondue font food fool footage footer footing footman footpad fossil foster
founder fox fragile frail frame framing frantic frayed fraying frays freedom freeing freely
freeway freight frenzy fresh fretful fretted fridge fried friend frill fringe fritter frolic
from front frosted frosty froth frown frozen fruit frying gab gag gaining gains gala gallery
galley gallon galore game gaming gamma gander gangway gap garage garbage garden gargle garland
garlic garment garnet garnish garter gas gating gave gawk gazing gear gem gender generic genre
gently gents geology gerbil gestate gesture getaway getting getup giant giblet giddily giddy
gift giggle giggly gilled gills gimmick girdle given giver giving gizmo glacial glacier glade
gladly glamour glance glare glaring glass glazing gleeful glider gliding glimmer glimpse glisten
glitch glitter glitzy gloater gloomy glorify glory gloss glove glowing glucose glue gluten
glutton goal goes goggles going golf gondola gone gong good gooey goofy goon gopher gorged
gosling gossip gothic gotten gout gown grab graded grader grading grafted grain grandly grandma
grandpa granite granny granola grant grape graph grapple grasp grass gratify grating gravel
gravity gravy grazing greedy green greeter grew grid grief grill grimace grime grimy grinch grip
grit groggy groom groove groovy ground grouped grout grove grower growing growl grub grudge
gruffly grumble grumbly grunge guide guiding gulf gully gulp gumball gumdrop gumming gummy
gurgle gush gusto gusty gutter guy guzzler habitat hacked hacker hacking hacksaw had haggler
half halt halved halves hamlet hammock hamper hamster handbag handed handful handled handler
handoff handsaw handset hangout hangup happier happily happy hardhat hardly hardy harmful
harmony harness harpist harsh harvest hash hassle haste hastily hasty hatbox hatchet hatless
haunt haven hazard hazily hazy headed header heading headset headway heap heat heave heavily
heaving hedge hedging hefty helium helmet helper helpful helping hemlock hence herald herbal
herbs hermit heroics heroism herring herself hexagon hubcap huddle huff hug hulk hull human
humble humbly humid humming hunger hungry hunk hunter hunting hurdle hurled hurler hurling
hurried hurry husband hush husked hut hybrid hydrant hyphen ice iciness icing icky icon icy
ideally idiom idly igloo ignore image imaging imitate immerse impart impeach impish implant
implode imply impose impound imprint improve impulse impure iodine ion irate irk iron isotope
issue issuing italics item ivory ivy jackal jacket jackpot janitor jargon jarring jasmine jaunt
java jawed jawless jawline jaws jaybird jazz jellied jelly jersey jester jet jiffy jimmy jingle
jitters jittery job jockey jogger jogging joining jolly jolt jot jovial joyous joyride judge
judo juggle juice juicy jukebox jumble jumbo jump junior juniper junkman jurist juror jury
justice justify justly karate karma keenly keep keg kelp kennel kept kettle kick kimono kindle
kindly kindred kinetic kinfolk king kinship kinsman kitchen kite kitten kitty kiwi knee knelt
knoll kooky krypton kudos ladder ladies ladle ladybug lagged lagging lagoon lair lake lance
landed landing lanky lantern lapdog lapel lapped lapping laptop lard large lark lash lasso last
latch late lather latter launch launder laundry laurel lavish lazily lazy left legacy legal
legend legged legible legibly legroom legume legwork lemon lend length lens lent letdown letter
lettuce level levers liable liberty library licking lid life lifter lifting liftoff likely
liking lilac limb limeade limes limit limping line lingo lining linked linseed lint lion lip
liquid lisp list litmus litter little livable lived lively liver lividly living lizard lucid
luckily lugged lullaby lumber lumping lumpish lunar lung lurch lurk lushly luxury lying lyrics
mace machine magenta magical magma magnify majesty maker making malt mama mammal manager manatee
mandate manger mangle mango mangy manhole manhood manila mankind manlike manly manmade manned
mannish mantis mantra manual many map marbled marbles march margin marina marine marital marlin
maroon married marrow marry marshy mascot mashed mashing masses massive mastiff matador matcher
math mating matrix matron matted matter maximum maybe mayday mobile mocha mocker mockup modify
modular module moisten molar monitor monsoon monthly moody mooing mooned moonlit mop morale
morally mortify mosaic mossy most motion motive motor motto mounted mourner mouse mousy mouth
movable move movie moving mower mowing much muck mud mug mulch mule mulled mullets mumble
mummify mummy mundane mural murky museum mushily mushy music musky mustang muster musty mutable
mutate mute mutt mutual muzzle myself mystify myth nag nail name naming nanny nape napkin napped
napping narrow nastily native natural nature navy nearby nearest nearly neatly nectar negate
neon nephew nervous nervy nest net neuron neuter neutron never next nibble niece nifty nimble
nimbly ninja ninth nuclear nucleus nugget nullify number numbing numbly numeral numeric nursery
nursing nurture nutlike nutmeg nuzzle nylon oak oasis oat object obliged oblong obscure obtain
obtuse obvious occupy ocean octagon octane octopus oil old olive omega omen ominous omit onboard
ongoing onion online only onset onshore onstage onto onward opal open operate oppose opt osmosis
other otter ought ounce outage outback outcast outcome outer outfit outgrow outing outlast
outlet outline outlook outmost outpost outpour output outrage outrank outsell outward outwit
oval oven overact overall overdue overlap overlay overpay overrun overtly overuse owl oxidant
oxygen oyster ozone paced pacify padded padding paddle padlock pager paging palace palm paltry
pancake panda pang panic panning panther pantry pants papaya paper parade paradox parcel parched
pardon parish parking parkway parrot parsley parsnip partake parted parting partly partner party
passage passing passion passive pasta pasted pastel pastime pastor pasture pasty patchy path
patient patio patriot patrol pauper paver paving pawing payable payback payday payee payer
paying payment payroll pebble pebbly pecan pelican pellet pelt penalty pencil pendant pending
pennant penny penpal pension pep percent perch perfume perish perky perm pesky peso pester petal
petite petted petty phantom phoenix phonics photo phrase placard placate plank planner plant
plasma plaster plastic plated plating platter player playful playing playoff playpen playset
plaza pleat pledge plenty pliable plod plop plot ploy pluck plug plural plus poach pod poem poet
pogo pointed pointer pointy poise poker poking polar police policy polish polka polo polygon
polymer pond pony popcorn poplar popper poppy popular pork porous portal portion portly poser
posh posing possum postage postal postbox posted poster posting posture pouch pounce pound
pouring pout powdery power powwow prance pranker praying preachy precise predict preface prefix
prelude premium prepaid preppy press presume pretext pretty prevail prevent preview primal
primary primate primer primp print prior prism prissy privacy private prize probe probing
problem process prodigy produce product profile progeny prone prong pronto proofs propose props
prorate proton proud proved proven proving provoke prowess prowler proxy prude prune pruning pry
public pucker pug pull pulp pulsate pulse puma pummel pungent punk pupil puppet puppy purely
purge purging purify purist purity purple purr purse pursuit pushing pushpin pushup pushy
putdown putt puzzle pyramid python quack quail quake quaking qualify quality qualm quantum
quarrel quarry quartet quench query quicken quickly quiet quilt quintet quirk quit quiver quote
rabid race racing rack radar radial radio radish raffle raft rage ragged raging ragweed railcar
railing railway raisin rake raking rally ramble ramp ramrod ranch random ranged ranger ranging
ranked ranking ranting rants rare rarity rascal rash rasping raven ravine raving reach reactor
ream reapply reason reawake rebate rebel rebirth reboot reborn rebound rebuff rebuild rebuilt
recall recant recast recede recent recess recital recite reclaim recluse recoil recopy record
recount recoup rectify referee refill refined reflex reflux refocus refold refract refrain
refresh refried refund refusal refuse refute regain regime region regress regroup regular reheat
rejoice rejoin related relax relay release reliant relic relieve relish relive reload rely
remake remark remarry rematch remedy remix remnant remorse remote removal removed remover rename
renewal renewed rental rented renter reopen reorder repaint repair repeal repent replace replay
replica reply repose reprint reprise reps reptile request require reroute rerun resale rescuer
reseal resent reset reshape residue resize resort respect result resume retail retake rethink
retinal retired retiree retold retool retouch retrace retract retrain retreat retry return
retype reunion reunite reuse reveal revenue reverb revered reverse revert revise revisit revival
reviver revoke revolt reward rewind rewire reword rework rewrite ribbon ribcage rice riches
richly rickety ridden ride riding rifling rift rigging rigid rimless rimmed rind rink rinse
rinsing ripcord ripping ripple riptide rise rising risk ritzy rival riveter roamer roaming roast
robe robin robust rocker rocket rocking rocky rogue romp rope roping roster rosy rotten rotting
roundup routine routing rover roving royal rubbed rubber rubbing rubble rubdown ruby ruckus
rudder rug ruined rule rumble rummage rundown runner running runny runt runway rupture rural
ruse rush rust rut sacred saddled safari safely saga sage sagging saggy said saint sake salad
salary saline salon saloon salsa salt salute salvage same sample sandal sandbag sandbar sandbox
sanded sanding sandlot sandpit sandy sank sapling sappy sarcasm sardine sash sassy satchel satin
satisfy saucy sauna savanna saved savings say scalded scale scaling scallop scandal scanner
scant scarce scared scarf scarily scary scenic scheme scholar science scoff scoop scooter scope
scorch scored scorer scoring scorn scotch scoured scouts scrap scratch scrawny screen scribe
script scroll scruffy scrunch scuba scuff scurvy scuttle second secrecy secret sector secular
sedan sedate segment seismic seizing seldom self seltzer seminar senate senator send senior
septic sequel series serpent serve service serving sesame setback setting settle setup seventh
seventy shabby shack shaded shadily shading shadow shady shaft shakily shaking shaky shale
shallot shallow shame shampoo shank shanty shape shaping share sharper sharply shawl sheath shed
sheep sheet shelf shell shelter shelve shield shifter shifty shimmer shimmy shindig shine
shingle shining shiny ship shirt shock shopper shore shorten shorter shortly shorts shout shove
showbiz shower showing showman showoff showy shrank shriek shrill shrimp shrine shrink shrivel
shrubs shrug shrunk shudder shuffle shun shush shut shy sibling siding sift sighing silent
silica silicon silk silly silo silt silver simple simply sincere singer singing single sinuous
sip siren sister sitcom sitter sitting sixfold sixteen sixth sixties sizable sizably size sizing
sizzle skater skating sketch skewed skewer skid skied skier skies skiing skilled skillet skimmed
skimmer skinny skipper skirt skittle skyline skyward slab slacked slacks slam slang slashed
slate slather slaw sled sleek sleep sleet sleeve slept sliced slicer slicing slick slider
sliding slimy slinky slip slit sliver slogan sloped sloping sloppy slot slouchy sludge slug
slurp slush sly small smartly smasher smashup smell smile smirk smith smock smog smoked smoking
smoky smooth smother smudge smudgy smugly snack snagged snaking snap snare snarl snazzy sneak
sneer sneeze snide sniff snippet snooper snooze snore snoring snorkel snort snout snowcap
snowman snowy snub snuff snugly speak species specked specks speech speed speller spender spent
spew sphere spider spied spiffy spill spilt spinach spinal spindle spinner spinout spiny spiral
spirits splashy spleen splice splurge spoiled spoiler spoils spoken sponge spongy sponsor spoof
spooky spool spoon spore sports sporty spotted spotter spotty spousal spouse spout sprain sprang
sprawl spray spree sprig spring sprint sprite sprout spruce sprung spry spud spur sputter squad
squall squash squeak squeeze squid squint squire squirt squishy stable stack stadium staff stage
staging stained stamina stammer stamp stand stank staple starch stardom staring stark starlet
starlit starry starter startle startup starved stash state static statue stature status statute
staunch stays steam steed steep stellar stem stencil step stereo sterile stew stick stiffen
stiffly stifle stilt stimuli stinger stingy stinky stipend stir stitch stock stoic stoke stole
stomp stony stood stooge stool stoop stopped stopper storage storm stout stove stowing stratus
straw stray streak stream street strep stress stretch strewn strict stride strife strike strive
strobe strode struck strum strung strut stubbed stubble stubbly stucco stuck student studied
studio study stuffed stuffy stumble stump stung stunned stunner stunt sturdy styling stylist
stylus subdued subject sublet sublime subside subsidy subtext subtly suburb subway such suction
sudden suds suffice suffix sugar suggest suing suitor sulk sullen supper supply support supreme
surely surface surfer surgery surging surname surpass surplus surreal survey survive suspect
suspend swab swagger swan swarm sway sweat sweep swell swept swerve swifter swiftly swimmer
swipe swirl switch swivel swizzle swooned swoop swoosh swore sworn swung symptom synergy syrup
system tabby tables tablet tabloid tacking tackle tacky taco tactful tactics tactile tadpole tag
tainted take taking talcum tall talon tamer tamper tank tanned tannery tanning tantrum tapered
tapping taps target tarmac tarnish tartly task tassel taste tasting tasty tattle tattoo taunt
tavern thank that thaw theme thermal thermos these thesis thicken thicket thimble thing think
thinly thinner thirsty thirty thorn those thrash thread thrift thrill thrive throat throng
thrower thud thumb thus tidal tidings tidy tiger tighten tightly tigress tile tiling till tilt
timid timing tinfoil tingle tingly tinker tinsel tint tinwork tiny tipoff tipped tipper tipping
tiptop tiring tissue trace tracing track tractor trade trading traffic tragedy train trance
trapeze trapped trapper traps trash travel tray treat treble tree trekker tremble tremor trench
trend triage trial tribune tribute triceps trickle tricky trident tried trifle trilogy trimmer
trinity trio tripod triumph trivial trodden trophy tropics trouble trough trout trowel truce
truck truffle trunks trustee truth try tubular tucking tug tuition tulip tumble tummy turban
turbine turf turkey turmoil turret turtle tusk tutor tweak tweed tweet twelve twenty twice
twiddle twig twine twins twirl twisted twister twisty twitch tycoon tying ultra umpire unable
unaired unawake unaware unbaked unbend unbent unblock unboxed uncanny unchain uncheck uncivil
unclasp uncle unclip uncloak unclog uncork uncouth uncover uncross uncrown uncured uncut undated
undergo undoing undone undying unearth unease uneasy uneaten unequal uneven unfair unfazed
unfiled unfixed unfold unglue unhappy unheard unhinge unhook unicorn unified unifier unify union
unison unit unkempt unkind unknown unlaced unlatch unleash unless unlined unlit unlucky unmade
unmixed unmoved unnamed unnerve unpack unpaid unpaved unplug unquote unrated unread unreal
unrest unripe unroll unruly unsaid unsaved unscrew unseen unsent unsnap unsold unstuck unsure
untaken untamed untidy untie until untimed untold untried untwist untying unused unusual unwary
unwell unwind unwired unworn unwound upbeat update upfront upgrade upheld uphill uphold upload
upon upper upright upriver uproar uproot upscale upside upstage upstart upstate upswing uptake
uptight uptown upward upwind uranium urban urchin urgency urgent urging usage used user usher
usual utensil utility utmost utter vacancy vacant vacate vaguely valiant valid valley value
vanilla vanish vanity vantage varied variety various varmint varnish varsity varying vastly veal
vegan veggie velvet vending vendor venture venue verbose verdict verify verse version versus
vertigo very vessel vest veteran veto viable vibes vice victory video viewer viewing village
villain vintage violet violin viper viral virtual virus visa viscous visible visibly vision
visitor visor vista vitally vividly vocally voice voicing void volley voltage volumes voter
voting voucher vowed vowel voyage wad wafer waffle waged wager wages waggle wagon wake waking
walk walnut walrus waltz wand wanted wanting washday washed washer washing washout washtub wasp
wasting watch water waving wavy wharf wheat whiff whinny whiny whoever whoops why wick widely
widen widget width wielder wife wifi wildcat wilder wildly willed willing willow wilt wince
wincing wind wing winking winner winter wipe wired wiring wiry wisdom wise wish wispy wistful
wizard wobble wobbly wok wolf womanly wooing wool woozy word work worried worrier worry worst
wound woven wrangle wrath wreath wrecker wrench wriggle wriggly wrinkle wrinkly wrist writing
written wronged wrongly wrought yam yanking yapping yard yarn yearly yeast yelling yelp yield
yoga yonder yummy zap zealous zebra zero zesty zipping zippy zips zodiac zone zoning zoology
zoom
"""

WORDS: tuple[str, ...] = tuple(_TEXT.split())
